-- tests/stdlib/test_stdlib.lua: unit tests of the standard library with plain
-- lua5.4 and the mock bridge (mock_hedge.lua), no hedge binary needed.
--
--   lua5.4 tests/stdlib/test_stdlib.lua        (from anywhere)
--
-- Runs: (1) Lua-level tests of the argument helper and each function,
-- (2) the `#? eval true:` / `#? eval-error:` directives of tests/stdlib/*.hedge
-- through minihedge.lua, (3) the `hedge-example` blocks of docs/stdlib.md
-- against docs/stdlib_world.hedge, (4) the eval directives of the shared
-- conformance case 10_stdlib.hedge when it can be found (HEDGE_SHARED, or
-- ../shared next to the repository, or /work/shared).
-- Prints failures, then exactly one final line "N passed, M failed"; exits 1
-- on any failure.

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here .. "/../.."
package.path = here .. "/?.lua;" .. package.path

local mock = require("mock_hedge")
local mini = require("minihedge")

local STDLIB = root .. "/stdlib/init.lua"
local passed, failed = 0, 0
local VERBOSE = os.getenv("VERBOSE")

local function ok(cond, label, detail)
  if cond then
    passed = passed + 1
    if VERBOSE then print("ok   " .. label) end
  else
    failed = failed + 1
    print("FAIL " .. label .. (detail and ("\n     " .. detail) or ""))
  end
end

local function errtext(e)
  if mock.is_hedge_error(e) then return e.msg end
  return "LUA ERROR (not a hedge error): " .. tostring(e)
end

-- Runs f; expects a hedge error whose message contains every text.
local function raises(label, f, ...)
  local texts = { ... }
  local good, e = pcall(f)
  if good then return ok(false, label, "no error raised") end
  if not mock.is_hedge_error(e) then return ok(false, label, errtext(e)) end
  for _, t in ipairs(texts) do
    if not e.msg:find(t, 1, true) then return ok(false, label, "message lacks '" .. t .. "': " .. e.msg) end
  end
  ok(true, label)
end

local function near(a, b, tol) return math.abs(a - b) <= (tol or 1e-9) * math.max(1, math.abs(b)) end

local function slurp(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

---------------------------------------------------------------------------
-- (1) Lua-level tests on the world of conformance case 10
---------------------------------------------------------------------------

local WORLD10 = [[
partner PAK, CHN, USA, SAU
partner IMF { kind: "multilateral" }
commodity crude_oil, copper, textiles
deal { exporter: SAU, importer: PAK, commodity: crude_oil, value: 60M USD, date: 2025-03 }
deal { exporter: USA, importer: PAK, commodity: crude_oil, value: 20M USD, date: 2025-10 }
deal { exporter: CHN, importer: PAK, commodity: crude_oil, value: 20M USD, date: 2025-06 }
deal { exporter: PAK, importer: CHN, commodity: copper,    value: 50M USD, date: 2025-02 }
deal { exporter: PAK, importer: USA, commodity: textiles,  value: 80M USD, date: 2025-05 }
deal { exporter: CHN, importer: PAK, commodity: textiles,  value: 10M USD, date: 2024-05 }
deal { exporter: PAK, importer: USA, commodity: copper,    value: 10M USD, date: 2024-12 }
loan { lender: CHN, borrower: PAK, principal: 30B USD, rate: 2%, start: 2015-01, term: 20 years }
loan { lender: IMF, borrower: PAK, principal: 7B USD,  rate: 5%, start: 2024-09, term: 3 years }
loan { lender: SAU, borrower: PAK, principal: 3B USD,  rate: 0%, start: 2019-01, term: 5 years }
]]

do
  local env = mini.fresh(STDLIB)
  mini.load_string(env, WORLD10, "world10")
  local h = hedge
  local PAK, CHN, USA, SAU, IMF = mock.lookup("PAK"), mock.lookup("CHN"), mock.lookup("USA"), mock.lookup("SAU"), mock.lookup("IMF")
  local crude, copper, textiles = mock.lookup("crude_oil"), mock.lookup("copper"), mock.lookup("textiles")
  local N = function(t) return setmetatable(t, h.NAMED) end

  -- the module's shape
  local lib = mock.lib
  for name, fn in pairs(lib) do
    if type(fn) == "function" then
      local d = lib._doc[name]
      ok(d and d.usage and d.doc and d.example, "doc entry for " .. name)
      ok(lib._params[name] ~= nil, "params entry for " .. name)
    end
  end
  for name in pairs(lib._doc) do ok(type(lib[name]) == "function", "doc names a function: " .. name) end
  for _, name in ipairs({ "abs", "round", "sqrt", "len", "sort", "sum", "min", "max", "count", "year" }) do
    ok(lib[name] == nil, "stdlib leaves the builtin " .. name .. " to C")
  end

  -- named arguments: NAMED tables from hedge calls, plain tables from Lua
  ok(h.imports(PAK, N { commodity = crude }).value == 100e6, "imports with NAMED table")
  ok(h.imports(PAK, { commodity = crude }).value == 100e6, "imports with plain Lua options table")
  ok(h.imports(PAK).value == 110e6, "imports without options")
  ok(h.imports(PAK).unit == "USD", "imports returns USD")
  ok(h.imports(PAK, {}).value == 110e6, "imports with an empty options table")
  ok(h.imports(PAK, N { from = SAU, commodity = crude, year = 2025 }).value == 60e6, "imports from/commodity/year")
  ok(h.imports(PAK, N { year = 2025.0 }).value == 100e6, "year as a float with integral value")
  ok(h.exports(PAK, N { to = USA }).value == 90e6, "exports to")
  ok(h.trade(PAK, CHN).value == 80e6, "trade positional b")
  ok(h.trade(PAK, { year = 2025 }).value == 230e6, "trade without b, Lua options in b's slot")
  ok(h.trade(PAK, N { year = 2025 }).value == 230e6, "trade without b, NAMED in b's slot")
  ok(h.balance(PAK, USA).value == 70e6, "balance")
  ok(h.balance(PAK).value == 30e6, "balance against everyone")
  ok(h.hhi({ 60, 20, 20 }) == 4400, "hhi of a Lua list is not mistaken for options")
  ok(h.hhi({}) == 0, "hhi of an empty list")
  raises("unknown named argument suggests", function() h.imports(PAK, N { form = SAU }) end,
         "imports: unknown named argument 'form' (did you mean from?)")
  raises("unknown key in a plain Lua options table", function() h.imports(PAK, { comodity = crude }) end,
         "unknown named argument 'comodity' (did you mean commodity?)")
  raises("unknown named argument without a near name", function() h.imports(PAK, N { zzz = 1 }) end,
         "unknown named argument 'zzz'", "from:")
  raises("named argument to a function without any", function() h.hhi({ 1, 2 }, N { weights = 1 }) end,
         "hhi takes no named arguments")
  raises("wrong type of positional", function() h.imports(5) end, "imports: argument 1 (a) must be a partner or a group of partners, got number 5")
  raises("commodity where a partner is wanted", function() h.imports(crude) end, "got commodity crude_oil")
  raises("missing positional", function() h.import_share(PAK, N { commodity = crude }) end, "missing argument 2 (b)")
  raises("wrong type of named", function() h.imports(PAK, N { commodity = PAK }) end, "commodity: must be a commodity, got partner PAK")
  raises("year must be an integer", function() h.imports(PAK, N { year = 2025.5 }) end, "year: must be an integer year")
  raises("too many positional", function() h.imports(PAK, CHN) end, "too many arguments", "imports(a, from:, commodity:, year:, since:, until:, by:)")
  raises("too many (four args)", function() h.trade(PAK, CHN, N {}, 5) end, "trade: too many arguments")
  raises("a list in the options slot", function() h.imports(PAK, { 1, 2 }) end, "too many arguments")
  raises("hhi of a non-list", function() h.hhi(5) end, "hhi: argument 1 (list) must be a list")
  raises("hhi of a list with a string", function() h.hhi({ 1, "x" }) end, "element 2 must be a number or a quantity")
  raises("hhi of mixed units", function() h.hhi({ h.qty(1, "USD"), h.qty(1, "t") }) end, "element 2 is in t")
  raises("hhi of a negative value", function() h.hhi({ 1, -1 }) end, "element 2 is -1")

  -- the kind cache must not let a wrong kind through after a right one
  ok(h.imports(PAK).value == 110e6, "cached partner")
  raises("cached commodity is still not a partner", function() h.exports(copper) end, "must be a partner")

  -- shares
  ok(h.import_share(PAK, SAU, N { commodity = crude }) == 0.6, "import_share 60%")
  ok(h.import_share(PAK, IMF) == 0, "import_share of a non-supplier")
  ok(h.import_share(PAK, SAU, N { commodity = copper }) == 0, "import_share with zero total is 0")
  ok(h.export_share(PAK, USA) == 90 / 140, "export_share")
  ok(h.world_share(SAU, N { commodity = crude }) == 0.6, "world_share")
  ok(h.world_share(SAU, N { commodity = crude, year = 1999 }) == 0, "world_share of nothing is 0")
  ok(h.world_exports(N { commodity = crude }).value == 100e6, "world_exports")
  ok(h.world_exports().value == 250e6, "world_exports of everything")

  -- concentration
  ok(h.import_hhi(PAK, N { commodity = crude }) == 4400, "import_hhi 4400")
  ok(h.import_hhi(PAK, N { commodity = copper }) == 0, "import_hhi without imports")
  ok(h.export_hhi(PAK, N { year = 2025 }) == 100 * 100 * ((50 / 130) ^ 2 + (80 / 130) ^ 2) or
     near(h.export_hhi(PAK, N { year = 2025 }), 10000 * ((50 / 130) ^ 2 + (80 / 130) ^ 2)), "export_hhi")
  ok(h.world_hhi(N { commodity = crude }) == 4400, "world_hhi")
  ok(h.top_supplier(PAK, N { commodity = crude }) == SAU, "top_supplier")
  ok(h.top_supplier(PAK, N { commodity = copper }) == nil, "top_supplier with no imports is nil")
  ok(h.top_customer(PAK) == USA, "top_customer")
  ok(h.top_exporter(N { commodity = textiles }) == PAK, "top_exporter")
  ok(h.supplier_count(PAK, N { commodity = crude }) == 3, "supplier_count")
  ok(h.customer_count(PAK) == 2, "customer_count")
  ok(h.top_k_share(PAK, 1, N { commodity = crude }) == 0.6, "top_k_share k=1")
  ok(h.top_k_share(PAK, 2, N { commodity = crude }) == 0.8, "top_k_share k=2")
  ok(h.top_k_share(PAK, 9, N { commodity = crude }) == 1, "top_k_share k > suppliers")
  ok(h.top_k_share(PAK, 0) == 0, "top_k_share k=0")
  raises("top_k_share negative k", function() h.top_k_share(PAK, -1) end, "argument 2 (k) must be a whole number")
  ok(near(h.hhi_normalized({ 60, 20, 20 }), (0.44 - 1 / 3) / (2 / 3)), "hhi_normalized")
  ok(h.hhi_normalized({ 5, 0, 0 }) == 1, "hhi_normalized of one positive entry")
  ok(h.hhi_normalized({ 0, 0 }) == 0, "hhi_normalized of nothing")
  ok(h.hhi_normalized({ 1, 1, 1, 1 }) == 0, "hhi_normalized of equal shares")
  ok(h.hhi({ h.qty(1, "USD"), 0, h.qty(3, "USD") }) == 100 * 100 * (1 / 16 + 9 / 16), "hhi with quantities and plain 0")

  -- debt (conformance case 10's numbers)
  ok(h.debt(PAK, N { year = 2025 }).value == 37e9, "debt 2025")
  ok(h.debt(PAK).value == 37e9, "debt defaults to the latest year (2025)")
  ok(h.debt(PAK, N { lender = CHN, year = 2025 }).value == 30e9, "debt from a lender")
  ok(h.debt(PAK, N { year = 2020 }).value == 33e9, "debt 2020")
  ok(h.debt(PAK, N { year = 2024 }).value == 37e9, "debt 2024: SAU's loan ended in 2023")
  ok(h.debt(PAK, N { year = 2035 }).value == 0, "debt 2035: CHN's loan ended in 2034")
  ok(near(h.debt_share(PAK, CHN, N { year = 2025 }), 30 / 37), "debt_share")
  ok(h.debt_share(USA, CHN) == 0, "debt_share of no debt is 0")
  local ds = h.debt_service(PAK, N { year = 2025 })
  ok(math.abs(ds.value - 4405161496.18) < 1000, "debt_service 2025 (conformance 10)", tostring(ds.value))
  ok(near(h.debt_service(PAK, N { year = 2020 }).value,
          30e9 * 0.02 / (1 - 1.02 ^ -20) + 3e9 / 5), "debt_service 2020 with a zero-rate loan")
  ok(near(h.debt_service(PAK, N { lender = SAU, year = 2019 }).value, 600e6), "debt_service zero rate is P/n")
  ok(h.debt_hhi(PAK, N { year = 2020 }) == 10000 * ((30 / 33) ^ 2 + (3 / 33) ^ 2)
     or near(h.debt_hhi(PAK, N { year = 2020 }), 10000 * ((30 / 33) ^ 2 + (3 / 33) ^ 2)), "debt_hhi")
  ok(h.top_lender(PAK, N { year = 2025 }) == CHN, "top_lender")
  ok(h.top_lender(USA) == nil, "top_lender of no debt")

  -- indicators
  -- rca(PAK, textiles): (80/140) / (90/250)
  ok(near(h.rca(PAK, N { commodity = textiles }), (80 / 140) / (90 / 250)), "rca")
  ok(h.rca(SAU, N { commodity = copper }) == 0, "rca of a commodity not exported")
  raises("rca needs commodity", function() h.rca(PAK) end, "rca: needs commodity:")
  -- net import reliance of USA in copper: imports 10M, exports 0, production 30M USD -> 10/40
  ok(near(h.net_import_reliance(USA, N { commodity = copper, production = h.qty(30e6, "USD") }), 0.25), "nir value basis")
  raises("nir with consumption <= 0", function()
    h.net_import_reliance(PAK, N { commodity = copper, production = h.qty(40e6, "USD") }) end, "apparent consumption")
  ok(near(h.net_import_reliance(PAK, N { commodity = copper, production = h.qty(100e6, "USD") }), -60 / 40), "nir net exporter is negative")
  ok(h.net_import_reliance(IMF, N { commodity = copper, production = 0 }) == 0, "nir of nothing is 0")
  raises("nir needs production", function() h.net_import_reliance(PAK, N { commodity = copper }) end, "needs production:")
  raises("nir production plain number", function()
    h.net_import_reliance(PAK, N { commodity = copper, production = 5 }) end, "production: must be a quantity")
  raises("nir by mass needs volumes", function()
    h.net_import_reliance(USA, N { commodity = copper, production = h.qty(5, "t") }) end, "has no volume")

  -- hot path: one deal_sum per trade figure, two per share, no deals() scan
  mock.calls = {}
  for _ = 1, 10 do h.import_share(PAK, SAU, N { commodity = crude, year = 2025 }) end
  ok(mock.calls.deal_sum == 20 and mock.calls.deals == nil, "import_share uses deal_sum only")
  mock.calls = {}
  h.import_hhi(PAK, N { commodity = crude })
  ok(mock.calls.deal_sum == 1 and mock.calls.deal_sums_by == 1, "import_hhi: one deal_sum, one deal_sums_by")
end

-- HHI order and tie rules on a purpose-made world
do
  local env = mini.fresh(STDLIB)
  mini.load_string(env, [[
partner F, B, A, C
commodity x
deal { exporter: B, importer: F, commodity: x, value: 30 USD, date: 2025 }
deal { exporter: A, importer: F, commodity: x, value: 30 USD, date: 2025 }
deal { exporter: C, importer: F, commodity: x, value: 10 USD, date: 2025 }
]], "ties")
  local h = hedge
  ok(h.top_supplier(mock.lookup("F")) == mock.lookup("A"), "top_supplier tie: smallest code, not declaration order")
end

-- a loan world without any dates: debt defaults still work
do
  local env = mini.fresh(STDLIB)
  mini.load_string(env, [[
partner P, L
loan { lender: L, borrower: P, principal: 5B USD, rate: 3%, term: 10 years }
loan { lender: L, borrower: P, principal: 1B USD }
]], "undated")
  local h = hedge
  local P = mock.lookup("P")
  ok(h.debt(P).value == 6e9, "debt with no dated loan (latest_year nil)")
  ok(near(h.debt_service(P).value, 5e9 * 0.03 / (1 - 1.03 ^ -10)), "debt_service: no rate and no term pays 0")
end

---------------------------------------------------------------------------
-- (2) tests/stdlib/*.hedge directives, (3) docs examples, (4) conformance 10
---------------------------------------------------------------------------

local function run_directives(path, label)
  local src = slurp(path)
  if not src then return false end
  local lines = {}
  for l in src:gmatch("[^\n]*") do
    if l:sub(1, 2) == "#?" then lines[#lines + 1] = l:sub(3):match("^%s*(.-)%s*$") end
  end
  local function world()
    local env = mini.fresh(STDLIB)
    local good, e = pcall(mini.load_file, env, path)
    if not good then ok(false, label .. ": load", errtext(e)) return nil end
    return env
  end
  local env = world()
  if not env then return true end
  for _, l in ipairs(lines) do
    local expr = l:match("^eval true:%s*(.+)$")
    if expr then
      local good, v = pcall(mini.eval_string, env, expr)
      ok(good and v == true, label .. ": " .. expr, good and ("printed " .. mini.show(v)) or errtext(v))
    end
    local rest = l:match("^eval%-error:%s*(.+)$")
    if rest then
      local parts = {}
      for p in (rest .. "~"):gmatch("(.-)~") do parts[#parts + 1] = p:match("^%s*(.-)%s*$") end
      local e = table.remove(parts, 1)
      raises(label .. ": error " .. e, function() mini.eval_string(env, e) end, table.unpack(parts))
    end
  end
  return true
end

for name in io.popen('ls "' .. here .. '"'):lines() do
  if name:match("%.hedge$") then run_directives(here .. "/" .. name, "tests/stdlib/" .. name) end
end

do -- docs examples
  local md = slurp(root .. "/docs/stdlib.md")
  ok(md ~= nil, "docs/stdlib.md exists")
  if md then
    local env = mini.fresh(STDLIB)
    local good, e = pcall(mini.load_file, env, root .. "/docs/stdlib_world.hedge")
    ok(good, "docs/stdlib_world.hedge loads", not good and errtext(e) or nil)
    local n = 0
    -- the core functions (C, in interp/builtins.c) are not the module's: only
    -- the real binary runs their examples (tests/doc_examples.py)
    local lib_md = (md:match("^(.-)\n## Core functions\n") or md) .. (md:match("\n(## The Lua side\n.*)$") or "")
    for block in lib_md:gmatch("```hedge%-example\n(.-)```") do
      local expr, want = block:match("^(.-)\n# => (.-)\n$")
      if not expr then ok(false, "malformed hedge-example block", block)
      else
        n = n + 1
        local g, v = pcall(mini.eval_string, env, expr)
        local got = g and mini.show(v) or errtext(v)
        -- hedge prints the number a *_share function returns as a percentage
        -- with at most two decimals (docs/language.md, Printing)
        if g and type(v) == "number" and expr:match("^[%w_]*_share%(") then
          got = string.format("%.2f", v * 100):gsub("0+$", ""):gsub("%.$", "") .. "%"
        end
        ok(got == want, "docs example: " .. expr, "printed " .. got .. ", docs say " .. want)
      end
    end
    -- every function documented in the module has an example in the docs
    for name, d in pairs(mock.lib._doc) do
      ok(md:find("```hedge-example\n" .. d.example .. "\n", 1, true) ~= nil,
         "docs/stdlib.md shows the _doc example of " .. name, d.example)
      ok(md:find("\n    " .. d.usage .. "\n", 1, true) ~= nil, "docs/stdlib.md has the usage line of " .. name, d.usage)
    end
    ok(n > 0, "docs have examples")
  end
end

do -- conformance case 10 and W1's edge case, when shared/ is around
  local candidates = { os.getenv("HEDGE_SHARED"), root .. "/../shared", "/work/shared" }
  for i = 1, 3 do
    local dir = candidates[i]
    if dir and run_directives(dir .. "/conformance/10_stdlib.hedge", "conformance/10_stdlib.hedge") then
      local want = slurp(dir .. "/bench/w1/expected/edge.txt")
      if want then
        local w1 = require("w1_mock")
        local got = table.concat(w1.run(w1.load(dir .. "/bench/w1/edge", STDLIB)), "\n") .. "\n"
        ok(got == want, "W1 edge case through the stdlib matches expected/edge.txt", got)
      end
      break
    end
  end
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
