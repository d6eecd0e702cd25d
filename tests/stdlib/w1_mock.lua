-- tests/stdlib/w1_mock.lua: workload W1 (shared/bench/w1/WORKLOAD.md) computed
-- with the standard library over the mock bridge, printed in W1's output
-- format. Shows that the stdlib's figures (in USD doubles, compensated sums)
-- reproduce the reference outputs, which W1 defines on integer cents.
--
--   lua5.4 tests/stdlib/w1_mock.lua DIR     (DIR holds the four CSV files)
--
-- The rules are those of shared/conformance/20_w1_edge.hedge, with hedge's
-- tolerant comparisons (SPEC.md section 3).

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path
local mock = require("mock_hedge")

local M = {}

local function csv(path)
  local rows, header = {}, nil
  for line in io.lines(path) do
    local f = {}
    for x in (line .. ","):gmatch("([^,]*),") do f[#f + 1] = x end
    if not header then header = f
    else
      local r = {}
      for i, h in ipairs(header) do r[h] = f[i] end
      rows[#rows + 1] = r
    end
  end
  return rows
end

-- Loads DIR into a fresh mock world with the stdlib; returns the hedge table.
function M.load(dir, stdlib)
  mock.install(stdlib)
  for _, r in ipairs(csv(dir .. "/partners.csv")) do mock.add("partner", r.code, { name = r.name, region = r.region }) end
  for _, r in ipairs(csv(dir .. "/commodities.csv")) do mock.add("commodity", r.code, { name = r.name, kind = r.kind }) end
  local L = mock.lookup
  for _, r in ipairs(csv(dir .. "/deals.csv")) do
    mock.add("deal", nil, {
      exporter = L(r.exporter), importer = L(r.importer), commodity = L(r.commodity),
      value = mock.mkqty(tonumber(r.value_usd), "USD"), volume = mock.mkqty(tonumber(r.volume_t), "t"),
      date = mock.mkdate(tonumber(r.year), 1, 1), id = tonumber(r.id) })
  end
  for _, r in ipairs(csv(dir .. "/loans.csv")) do
    mock.add("loan", nil, {
      lender = L(r.lender), borrower = L(r.borrower), principal = mock.mkqty(tonumber(r.principal_usd), "USD"),
      rate = tonumber(r.rate) / 100, start = mock.mkdate(tonumber(r.start_year), 1, 1),
      term = mock.mkqty(tonumber(r.term_years), "years"), id = tonumber(r.id) })
  end
  return hedge
end

local function gt(a, b) return a > b and not mock.tol_eq(a, b) end

-- Returns W1's output lines.
function M.run(h)
  local N = function(t) return setmetatable(t, h.NAMED) end
  local F = mock.lookup("PAK")
  local Y -- the latest year over deals only (WORKLOAD.md section 2)
  for _, d in ipairs(mock.world.deals) do if Y == nil or d.year > Y then Y = d.year end end
  local name = h.name
  local function by_name(list)
    table.sort(list, function(a, b) return name(a) < name(b) end)
    return list
  end
  local partners, commodities = by_name(h.partners()), by_name(h.commodities())
  local out, passed = {}, 0
  local function rule(tag, lines)
    if #lines == 0 then out[#out + 1] = tag .. " PASS"; passed = passed + 1
    else for _, l in ipairs(lines) do out[#out + 1] = l end end
  end
  local lines = {}
  for _, p in ipairs(partners) do
    if p ~= F and not gt(h.trade(F, p, N { year = Y }).value, 0) then lines[#lines + 1] = "R1 " .. name(p) end
  end
  rule("R1", lines)
  lines = {}
  local r3 = {}
  for _, c in ipairs(commodities) do
    if gt(h.imports(F, N { commodity = c, year = Y }).value, 0) then
      for _, p in ipairs(partners) do
        local s = h.import_share(F, p, N { commodity = c, year = Y })
        if gt(s, 0.4) then lines[#lines + 1] = string.format("R2 %s %s %.6f", name(c), name(p), s) end
      end
      local hh = h.import_hhi(F, N { commodity = c, year = Y })
      if not gt(2500, hh) then r3[#r3 + 1] = string.format("R3 %s %.2f", name(c), hh) end
    end
  end
  rule("R2", lines)
  rule("R3", r3)
  lines = {}
  if gt(h.debt(F, N { year = Y }).value, 0) then
    for _, l in ipairs(partners) do
      local s = h.debt_share(F, l, N { year = Y })
      if gt(s, 0.5) then lines[#lines + 1] = string.format("R4 %s %.6f", name(l), s) end
    end
  end
  rule("R4", lines)
  lines = {}
  for _, c in ipairs(commodities) do
    if gt(h.world_exports(N { commodity = c, year = Y }).value, 0) then
      local top = h.top_exporter(N { commodity = c, year = Y })
      local s = h.world_share(top, N { commodity = c, year = Y })
      if gt(s, 0.7) then lines[#lines + 1] = string.format("R5 %s %s %.6f", name(c), name(top), s) end
    end
  end
  rule("R5", lines)
  out[#out + 1] = string.format("summary %d passed, %d failed", passed, 5 - passed)
  return out
end

if arg and arg[0] and arg[0]:match("w1_mock%.lua$") and arg[1] then
  local h = M.load(arg[1], here .. "/../../stdlib/init.lua")
  for _, l in ipairs(M.run(h)) do print(l) end
end

return M
