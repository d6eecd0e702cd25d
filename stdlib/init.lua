-- stdlib/init.lua: hedge's standard library (documented in docs/stdlib.md), in Lua 5.4.
--
-- The C bridge runs this chunk once per hedge state, after it has filled the
-- global table `hedge` with its primitives (deal_sum, deal_sums_by, debt_sum,
-- latest_year, deals, loans, qty, kind, name, error, NAMED). Every function
-- in the returned table becomes a hedge function of the same name; the fields
-- `_doc` (help text) and `_params` (argument names) are data, not functions.
-- Each function is declared once, by def{...} (section 4): name, parameters,
-- doc, example and code; its checks, usage line, `_doc` and `_params` entries
-- are generated from that declaration.
--
-- Reading order: 1. locals and small helpers, 2. argument checking,
-- 3. trade queries (periods, groups, volumes), 4. declaring a function,
-- 5. trade figures, 6. shares, 7. concentration (HHI), 8. debt,
-- 9. analyst indicators.
-- docs/stdlib.md explains every choice made here (zero totals, ties, ...).
--
-- Hot paths (imports, import_share, import_hhi, world_share, debt_share, ...)
-- allocate nothing but the quantity they return: they reuse one filter table
-- for hedge.deal_sum, so the C side must not keep a reference to it.

local hedge = hedge
for _, k in ipairs({ "deal_sum", "deal_sum_at", "deal_sums_by", "debt_sum", "latest_year", "fiscal_start", "deals",
                     "loans", "qty", "usd", "named_checked", "kind", "name", "error" }) do
  if type(hedge) ~= "table" or hedge[k] == nil then
    error("stdlib/init.lua: the C bridge must define hedge." .. k .. " before loading the standard library", 0)
  end
end
local type, getmetatable, next, select, tostring = type, getmetatable, next, select, tostring
local floor, huge, tointeger = math.floor, math.huge, math.tointeger
local sort, concat = table.sort, table.concat
local format = string.format

local deal_sum     = hedge.deal_sum
local deal_sum_at  = hedge.deal_sum_at
local usd          = hedge.usd
local named_checked = hedge.named_checked
local deal_sums_by = hedge.deal_sums_by
local debt_sum     = hedge.debt_sum
local latest_year  = hedge.latest_year
local fiscal_start = hedge.fiscal_start
local deals_query  = hedge.deals
local loans_query  = hedge.loans
local qty          = hedge.qty
local hkind        = hedge.kind
local hname        = hedge.name
local herror       = hedge.error
local NAMED        = hedge.NAMED
-- Tells the checker a share or an HHI had a zero total (a rule whose every
-- figure is one is vacuous); absent in the stand-alone test harness.
local zero_total   = hedge.zero_total or function() end
-- Tells the report that a figure of a named year came out 0 (it names the
-- year when it is outside the data's years).
local year_note    = hedge.year_note or function() end

---------------------------------------------------------------------------
-- 1. Small helpers
---------------------------------------------------------------------------

local EMPTY = setmetatable({}, { __newindex = function() error("stdlib: EMPTY is read-only", 2) end })

-- Entity kinds seen before, so the hot path checks an argument with one table
-- read instead of a call into C. Entities are the same userdata every time.
local kind_cache = setmetatable({}, { __mode = "k" })
local ENTITY = { partner = true, commodity = true, deal = true, loan = true }

local function kind_of(v)
  local k = kind_cache[v]
  if k then return k end
  k = hkind(v)
  if ENTITY[k] then kind_cache[v] = k end
  return k
end

-- Shortest "%.Ng" text that reads back to the same double (for messages).
local function num_text(x)
  if x ~= x then return "nan" end
  if x == huge then return "inf" elseif x == -huge then return "-inf" end
  if x == floor(x) and x > -1e15 and x < 1e15 then return format("%d", x) end
  for p = 1, 17 do
    local s = format("%." .. p .. "g", x)
    if tonumber(s) == x then return s end
  end
  return format("%.17g", x)
end

-- A value as an error message shows it: "number 5", "commodity crude_oil".
local function describe(v)
  local k = hkind(v)
  if ENTITY[k] then return k .. " " .. hname(v) end
  if k == "number" then return "number " .. num_text(v) end
  if k == "string" then return format("string %q", v) end
  if k == "quantity" then return "quantity " .. num_text(v.value) .. " " .. tostring(v.unit) end
  if k == "date" then return format("date %04d-%02d-%02d", v.year, v.month or 1, v.day or 1) end
  if k == "bool" then return "boolean " .. tostring(v) end
  if k == "nil" then return "nil" end
  return k
end

-- Tolerant equality (docs/language.md, "Units and quantities"): |a - b| <= 2^-44 * max(|a|, |b|).
local function tol_eq(a, b)
  local d = a - b
  if d < 0 then d = -d end
  local m = a < 0 and -a or a
  local mb = b < 0 and -b or b
  if mb > m then m = mb end
  return d <= 0x1p-44 * m
end

-- Neumaier compensated summation, for sums done on the Lua side.
local function neumaier_add(s, c, x)
  local t = s + x
  if (s < 0 and -s or s) >= (x < 0 and -x or x) then c = c + ((s - t) + x)
  else c = c + ((x - t) + s) end
  return t, c
end

---------------------------------------------------------------------------
-- 2. Arguments
--
-- A hedge call f(a, b, commodity: c) reaches Lua as f(a, b, NAMED_TABLE),
-- where getmetatable(NAMED_TABLE) == hedge.NAMED; with no named arguments,
-- no table is passed. Lua code may call hedge.f(a, b, {commodity = c}): a
-- plain table (no metatable) in the slot after the positional arguments, or
-- in the place of an optional positional one, is taken as the named
-- arguments too. Every stdlib function has fixed positional slots, then the
-- options slot, then one sentinel slot that must be empty (too many args).
---------------------------------------------------------------------------

-- Damerau (optimal string alignment) distance, for "did you mean".
local function edit_distance(a, b)
  local la, lb = #a, #b
  local prev2, prev, cur = {}, {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur = { [0] = i }
    local ai = a:byte(i)
    for j = 1, lb do
      local bj = b:byte(j)
      local cost = ai == bj and 0 or 1
      local v = prev[j] + 1
      if cur[j - 1] + 1 < v then v = cur[j - 1] + 1 end
      if prev[j - 1] + cost < v then v = prev[j - 1] + cost end
      if i > 1 and j > 1 and ai == b:byte(j - 1) and a:byte(i - 1) == bj and prev2[j - 2] + 1 < v then
        v = prev2[j - 2] + 1
      end
      cur[j] = v
    end
    prev2, prev = prev, cur
  end
  return prev[lb]
end

local function suggest(word, candidates)
  local best, bestd = nil, 3
  for i = 1, #candidates do
    local d = edit_distance(word, candidates[i])
    if d < bestd and d < #word then best, bestd = candidates[i], d end
  end
  return best
end

-- What each argument type accepts, and how a message names it.
local TYPE_TEXT = {
  partner = "a partner or a group of partners", commodity = "a commodity", year = "an integer year such as 2025",
  when = "a year (2023) or a date (2023-07)",
  list = "a list of numbers or quantities", count = "a whole number >= 0",
  quantity = "a quantity such as 120M USD or 2400 t",
  by = "value or volume (a bare word: by: volume)",
}

-- A group: a list of partners (`group EU = [DEU, FRA]`, or a list written
-- in place). Groups are checked once and remembered (weak keys).
local group_cache = setmetatable({}, { __mode = "k" })
local function is_group(v)
  if type(v) ~= "table" then return false end
  local g = group_cache[v]
  if g ~= nil then return g end
  if (NAMED ~= nil and getmetatable(v) == NAMED) or v[1] == nil then return false end
  for i = 1, #v do if kind_of(v[i]) ~= "partner" then return false end end
  group_cache[v] = true
  return true
end

local function type_ok(want, v)
  if want == "partner" then return kind_of(v) == "partner" or is_group(v) end
  if want == "commodity" then return kind_of(v) == want end
  if want == "when" then
    return (type(v) == "number" and v == floor(v) and v > -1e9 and v < 1e9) or hkind(v) == "date"
  end
  if want == "year" then return type(v) == "number" and v == floor(v) and v > -1e9 and v < 1e9 end
  if want == "list" then -- a sequence table: hedge lists and Lua arrays (no C call)
    return type(v) == "table" and (NAMED == nil or getmetatable(v) ~= NAMED) and (v[1] ~= nil or next(v) == nil)
  end
  if want == "count" then return type(v) == "number" and v == floor(v) and v >= 0 and v < 1e15 end
  if want == "quantity" then return v == 0 or hkind(v) == "quantity" end
  if want == "by" then return v == "value" or v == "volume" end
  return true
end

local function signature(spec)
  local parts = {}
  for i = 1, #spec.pos do parts[#parts + 1] = spec.pos[i][1] .. (spec.pos[i][3] and "?" or "") end
  for i = 1, #spec.names do parts[#parts + 1] = spec.names[i] .. ":" end
  return spec.fname .. "(" .. concat(parts, ", ") .. ")"
end

local function too_many(spec)
  herror(format("%s: too many arguments; usage: %s", spec.fname, signature(spec)))
end

local function unknown_named(spec, k)
  local k_text = tostring(k)
  if (k == "from" or k == "to") and spec.named["since"] then
    herror(format("%s: unknown named argument '%s' (a period is since: and until:; from: and to: name partners)", spec.fname, k_text))
  end
  if #spec.names == 0 then
    herror(format("%s: unknown named argument '%s' (%s takes no named arguments)", spec.fname, k_text, spec.fname))
  end
  local near = type(k) == "string" and suggest(k, spec.names)
  if near then
    herror(format("%s: unknown named argument '%s' (did you mean %s?)", spec.fname, k_text, near))
  end
  herror(format("%s: unknown named argument '%s' (it takes %s)", spec.fname, k_text,
                concat(spec.names, ": , ") .. ":"))
end

-- Validates the options table `o` (non-nil) and returns it. A table the C
-- bridge built and checked already (every name one of ours, every value of
-- its type: hedge.named_checked) needs no second look.
local function options(spec, o)
  if named_checked(o) then return o end
  local mt = getmetatable(o)
  if type(o) ~= "table" or (mt ~= NAMED and mt ~= nil) then too_many(spec) end
  local named = spec.named
  for k, v in next, o do
    local want = named[k]
    if want == nil or kind_cache[v] ~= want then -- else: an entity of the wanted kind, seen before
      if want == nil then
        if mt == nil and type(k) ~= "string" then too_many(spec) end -- a list, not options
        unknown_named(spec, k)
      end
      if want == "year" then
        if type(v) ~= "number" or v ~= floor(v) or v <= -1e9 or v >= 1e9 then
          herror(format("%s: %s: must be %s, got %s", spec.fname, k, TYPE_TEXT[want], describe(v)))
        end
      elseif not type_ok(want, v) then
        herror(format("%s: %s: must be %s, got %s", spec.fname, k, TYPE_TEXT[want], describe(v)))
      end
    end
  end
  return o
end

-- Is v (in a positional slot) really the named-argument table?
local function is_options(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  if mt == NAMED then return true end
  if mt ~= nil then return false end
  local k = next(v)
  return k == nil or type(k) == "string"
end

-- Checks positional argument i (slow path: only when the cache says no).
local function check_pos(spec, i, v)
  local p = spec.pos[i]
  if v == nil then
    if p[3] then return end
    herror(format("%s: missing argument %d (%s), %s; usage: %s", spec.fname, i, p[1],
                  TYPE_TEXT[p[2]], signature(spec)))
  end
  if not type_ok(p[2], v) then
    herror(format("%s: argument %d (%s) must be %s, got %s", spec.fname, i, p[1], TYPE_TEXT[p[2]], describe(v)))
  end
end

-- A function's argument spec, from its declaration (def, section 4):
-- pos = { "a", "partner", "b?", "partner" }: name and type pairs, "?" marks
-- an optional argument; named = { "from", "partner", TRADE }: name and type
-- pairs, or lists of them (flattened in order). Types are TYPE_TEXT's keys.
-- The spec: s.pos[i] = { name, type, optional }, s.named[name] = type,
-- s.names = the named parameters in declaration order.
local function spec(fname, pos, named)
  local s = { fname = fname, pos = {}, named = {}, names = {} }
  local function typed(name, t)
    if TYPE_TEXT[t] == nil then error(format("stdlib: %s: %s has no type %s", fname, name, tostring(t)), 0) end
    return t
  end
  for i = 1, #pos, 2 do
    local name, opt = pos[i]:match("^([%w_]+)(%??)$")
    s.pos[#s.pos + 1] = { name, typed(name, pos[i + 1]), opt == "?" or nil }
  end
  local function add(list)
    local i = 1
    while i <= #list do
      local x = list[i]
      if type(x) == "table" then add(x); i = i + 1
      else
        s.named[x] = typed(x, list[i + 1])
        s.names[#s.names + 1] = x
        i = i + 2
      end
    end
  end
  add(named or {})
  return s
end

-- The argument helpers, by number of positional slots. Each returns the
-- positional values and the options table (EMPTY when none was given).
local function args0(s, o, x)
  if x ~= nil then too_many(s) end
  if o == nil then return EMPTY end
  return options(s, o)
end

local function args1(s, a, o, x)
  if x ~= nil then too_many(s) end
  if o == nil then o = EMPTY else o = options(s, o) end
  if kind_cache[a] ~= s.pos[1][2] then check_pos(s, 1, a) end
  return a, o
end

local function args2(s, a, b, o, x)
  if x ~= nil then too_many(s) end
  if o == nil then
    if is_options(b) and s.pos[2][2] ~= "list" then o = options(s, b); b = nil else o = EMPTY end
  else
    o = options(s, o)
  end
  local p = s.pos
  if kind_cache[a] ~= p[1][2] then check_pos(s, 1, a) end
  if kind_cache[b] ~= p[2][2] then check_pos(s, 2, b) end
  return a, b, o
end

local function required(s, o, key)
  local v = o[key]
  if v == nil then
    herror(format("%s: needs %s: (%s); usage: %s", s.fname, key, TYPE_TEXT[s.named[key]], signature(s)))
  end
  return v
end

---------------------------------------------------------------------------
-- 3. Trade queries: periods, groups and volumes
--
-- Periods. year: y is one year (a fiscal year where the program declares
-- `fiscal year starts MM`); since: and until: give a period, each a year
-- (whole years, inclusive) or a date (from the first day of since's span
-- to the last day of until's). A deal whose date is only partly inside a
-- date period (a deal dated 2025 against until: 2025-06) is an error,
-- never guessed. Groups. A side of a query may be a group, a list of
-- partners: its flows are the sum of its members'; a group that is the
-- subject of a query (its first argument) trades as one, so deals between
-- two of its members are internal and left out.
---------------------------------------------------------------------------

-- One filter table, reused by every call: no allocation on the hot path.
local FILTER = {}

-- The hot path: the filter by position (no table for C to walk).
local function dsum(importer, exporter, commodity, year)
  return (deal_sum_at(importer, exporter, commodity, year and tointeger(year)))
end

local function dsums_by(field, importer, exporter, commodity, year)
  local f = FILTER
  f.importer, f.exporter, f.commodity = importer, exporter, commodity
  f.year = year and tointeger(year)
  return deal_sums_by(field, f)
end

-- Civil calendar (proleptic Gregorian), days since 1970-01-01.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- First and last day of year y's span: the calendar year, or the fiscal
-- year that ends in y (FY2024-25 is 2025) when fiscal years start in S > 1.
local function year_span(y)
  local S = fiscal_start()
  if S <= 1 then return days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1) - 1 end
  return days_from_civil(y - 1, S, 1), days_from_civil(y, S, 1) - 1
end

-- First and last day a date denotes: a day, a month, or a (fiscal) year.
local function date_span(d)
  local prec = d.precision
  if prec == "day" then local v = d.value return v, v end
  local y, m = d.year, d.month
  if prec == "month" then
    local first = days_from_civil(y, m, 1)
    local ny, nm = y, m + 1
    if nm == 13 then ny, nm = y + 1, 1 end
    return first, days_from_civil(ny, nm, 1) - 1
  end
  return year_span(y)
end

local function date_text(d)
  if d.precision == "day" then return format("%04d-%02d-%02d", d.year, d.month, d.day) end
  if d.precision == "month" then return format("%04d-%02d", d.year, d.month) end
  return format("%d", d.year)
end

-- The period of a query's options: nil (every year), a year (a number),
-- or a table { lo = year|nil, hi = year|nil } of whole years, or
-- { d0 = day, d1 = day, text = "..." } of days (inclusive).
-- The year a period names (for the vacuous rule's note), or nil.
local function year_of(P) if type(P) == "number" then return P end end

local function period_of(s, o)
  local since, till = o.since, o["until"]
  if since == nil and till == nil then return o.year end
  if o.year ~= nil then
    herror(format("%s: give either year: or since:/until:, not both", s.fname))
  end
  local ds, dt = hkind(since) == "date", hkind(till) == "date"
  if not ds and not dt then
    if since and till and since > till then
      herror(format("%s: since: %d is after until: %d", s.fname, since, till))
    end
    return { lo = since and tointeger(since), hi = till and tointeger(till) }
  end
  local d0, d1 = -huge, huge
  if since ~= nil then if ds then d0 = date_span(since) else d0 = year_span(since) end end
  if till ~= nil then
    if dt then local _, e = date_span(till) d1 = e else local _, e = year_span(till) d1 = e end
  end
  if d0 > d1 then herror(format("%s: since: is after until:", s.fname)) end
  local text = (since ~= nil and "since: " .. (ds and date_text(since) or tostring(since)) or "")
            .. (since ~= nil and till ~= nil and ", " or "")
            .. (till ~= nil and "until: " .. (dt and date_text(till) or tostring(till)) or "")
  return { d0 = d0, d1 = d1, text = text, fname = s.fname }
end

-- Is deal d inside the date period P? An error when only partly inside.
local function deal_in(P, d)
  local date = d.date
  if date == nil then return false end
  local a, b = date_span(date)
  if a >= P.d0 and b <= P.d1 then return true end
  if b < P.d0 or a > P.d1 then return false end
  herror(format("%s: deal %s is dated %s, which is only partly inside the period (%s); give the period in whole %syears, or date the deal to the month",
                P.fname, hname(d), date_text(date), P.text, fiscal_start() > 1 and "fiscal " or ""))
end

-- The (fiscal) years a date period touches, for the index's year filter.
local function period_years(P)
  local lo, hi = P.d0, P.d1
  local ys = latest_year()
  if ys == nil then return nil end
  local function year_of_day(v)
    -- the year whose span holds day v (search near the calendar year)
    local y = floor(v / 365.2425) + 1970
    for k = y - 2, y + 2 do
      local a, b = year_span(k)
      if v >= a and v <= b then return k end
    end
    return y
  end
  local a, b = nil, nil
  if lo ~= -huge then a = year_of_day(lo) end
  if hi ~= huge then b = year_of_day(hi) end
  return a, b
end

-- The deals of (importer, exporter, commodity) inside the date period P.
local function deals_in(P, importer, exporter, commodity)
  local out = {}
  local ya, yb = period_years(P)
  local q = { importer = importer, exporter = exporter, commodity = commodity }
  if ya == nil or yb == nil then
    local ds = deals_query(q)
    for i = 1, #ds do if deal_in(P, ds[i]) then out[#out + 1] = ds[i] end end
    -- deals dated only by year at the edge of an open period are checked too
    return out
  end
  for y = ya, yb do
    q.year = y
    local ds = deals_query(q)
    for i = 1, #ds do if deal_in(P, ds[i]) then out[#out + 1] = ds[i] end end
  end
  return out
end

local function value_total(ds)
  local t, c = 0.0, 0.0
  for i = 1, #ds do
    local v = ds[i].value
    if v ~= nil then t, c = neumaier_add(t, c, v.value) end
  end
  return t + c
end

-- dsum over a period P (see period_of).
local function psum(importer, exporter, commodity, P)
  if P == nil or type(P) == "number" then return dsum(importer, exporter, commodity, P) end
  if P.d0 then return value_total(deals_in(P, importer, exporter, commodity)) end
  local lo, hi = P.lo, P.hi
  local groups = dsums_by("year", importer, exporter, commodity, nil)
  local t, c = 0.0, 0.0
  for i = 1, #groups do
    local y = groups[i][1]
    if (lo == nil or y >= lo) and (hi == nil or y <= hi) then t, c = neumaier_add(t, c, groups[i][2]) end
  end
  return t + c
end

-- {key, sum} pairs sorted by the key's name, from a map key -> {s, c}.
local function sorted_groups(acc)
  local out = {}
  for k, v in next, acc do out[#out + 1] = { k, v[1] + v[2] } end
  sort(out, function(p, q) return hname(p[1]) < hname(q[1]) end)
  return out
end

local function acc_add(acc, k, x)
  local e = acc[k]
  if e == nil then e = { 0.0, 0.0 }; acc[k] = e end
  e[1], e[2] = neumaier_add(e[1], e[2], x)
end

-- dsums_by over a period P.
local function psums_by(field, importer, exporter, commodity, P)
  if P == nil or type(P) == "number" then return dsums_by(field, importer, exporter, commodity, P) end
  local acc = {}
  if P.d0 then
    local ds = deals_in(P, importer, exporter, commodity)
    for i = 1, #ds do
      local d = ds[i]
      local v = d.value
      if v ~= nil then acc_add(acc, d[field], v.value) end
    end
    return sorted_groups(acc)
  end
  local years = dsums_by("year", importer, exporter, commodity, nil)
  for i = 1, #years do
    local y = years[i][1]
    if (P.lo == nil or y >= P.lo) and (P.hi == nil or y <= P.hi) then
      local g = dsums_by(field, importer, exporter, commodity, y)
      for j = 1, #g do acc_add(acc, g[j][1], g[j][2]) end
    end
  end
  return sorted_groups(acc)
end

-- Volumes (by: volume): the deals' `volume` field instead of their value,
-- over the same periods and groups. Deals without a volume are left out and
-- counted (hedge.left_out: the rule being checked notes how many); volumes
-- of two units in one figure are an error.
local left_out = hedge.left_out
local VQ = {}
local VUNIT, VFNAME   -- the current by: volume figure: its volumes' unit ("" plain numbers), its name

local function vbegin(s) VUNIT, VFNAME = nil, s.fname end

-- A volume figure as a quantity of its unit (a plain number when no deal had one).
local function vresult(x)
  if VUNIT == nil or VUNIT == "" then return x end
  return qty(x, VUNIT)
end

-- The magnitude of d's volume, or nil (left out, counted).
local function vol_of(d)
  local v = d.volume
  if v == nil then left_out(d) return nil end
  local x, u
  if type(v) == "number" then x, u = v, "" else x, u = v.value, v.unit end
  if VUNIT == nil then VUNIT = u
  elseif VUNIT ~= u then
    herror(format("%s: by: volume adds volumes in %s and in %s (deal %s): a figure needs one unit",
                  VFNAME, VUNIT == "" and "plain numbers" or VUNIT, u == "" and "plain numbers" or u, hname(d)))
  end
  return x
end

-- The deals of (importer, exporter, commodity) in period P (see period_of).
local function vdeals(importer, exporter, commodity, P)
  if type(P) == "table" and P.d0 then return deals_in(P, importer, exporter, commodity) end
  local q = VQ
  q.importer, q.exporter, q.commodity = importer, exporter, commodity
  q.year = type(P) == "number" and tointeger(P) or nil
  local ds = deals_query(q)
  if type(P) ~= "table" then return ds end
  local out = {}
  for i = 1, #ds do
    local y = ds[i].year
    if y ~= nil and (P.lo == nil or y >= P.lo) and (P.hi == nil or y <= P.hi) then out[#out + 1] = ds[i] end
  end
  return out
end

-- psum and psums_by of volumes.
local function vpsum(importer, exporter, commodity, P)
  local ds = vdeals(importer, exporter, commodity, P)
  local t, c = 0.0, 0.0
  for i = 1, #ds do
    local x = vol_of(ds[i])
    if x then t, c = neumaier_add(t, c, x) end
  end
  return t + c
end

local function vpsums_by(field, importer, exporter, commodity, P)
  local ds = vdeals(importer, exporter, commodity, P)
  local acc = {}
  for i = 1, #ds do
    local d = ds[i]
    local x = vol_of(d)
    if x then acc_add(acc, d[field], x) end
  end
  return sorted_groups(acc)
end

-- The measure of a trade figure: deal values in USD (the default) or, with
-- by: volume, the deals' volumes. A figure that takes by: is written once,
-- against a measure m: m.sum and m.sums_by (psum, psums_by or their volume
-- twins), m.result (the figure as a quantity), m.share (section 5) and
-- m.year_note (the note on a value of 0 in a named year; volumes: none).
local VALUE = { sum = psum, sums_by = psums_by, result = usd, year_note = year_note }
local VOLUME = { volume = true, sum = vpsum, sums_by = vpsums_by, result = vresult, year_note = function() end }

local function group_has(g, p)
  for i = 1, #g do if g[i] == p then return true end end
  return false
end

local function as_group(v)
  if type(v) == "table" and is_group(v) then return v end
  return nil
end

-- Value (or the measure m's figure) of the deals in which `a` is on side
-- `role` ("importer": a buys, "exporter": a sells) and b (nil: anyone) on
-- the other, over period P. A group a trades as one: deals between two of
-- its members are left out.
local function flow(role, a, b, c, P, m)
  local ga, gb = as_group(a), as_group(b)
  local imp = role == "importer"
  local psum = (m or VALUE).sum
  if not ga and not gb then
    if imp then return psum(a, b, c, P) end
    return psum(b, a, c, P)
  end
  local t, comp = 0.0, 0.0
  local function add(x, y)
    local v
    if imp then v = psum(x, y, c, P) else v = psum(y, x, c, P) end
    t, comp = neumaier_add(t, comp, v)
  end
  if ga then
    if gb then
      for i = 1, #ga do for j = 1, #gb do if not group_has(ga, gb[j]) then add(ga[i], gb[j]) end end end
    elseif b ~= nil then
      if group_has(ga, b) then return 0 end
      for i = 1, #ga do add(ga[i], b) end
    else
      for i = 1, #ga do add(ga[i], nil) end
      -- the group's internal deals
      for i = 1, #ga do for j = 1, #ga do
        local v
        if imp then v = psum(ga[i], ga[j], c, P) else v = psum(ga[j], ga[i], c, P) end
        t, comp = neumaier_add(t, comp, -v)
      end end
    end
  else
    for j = 1, #gb do add(a, gb[j]) end
  end
  return t + comp
end

-- The counterparts' sums of a's deals on side `role`: {partner, sum} pairs
-- sorted by name; a group's own members are left out.
local function flows_by(role, a, c, P, m)
  local imp = role == "importer"
  local psums_by = (m or VALUE).sums_by
  local field = imp and "exporter" or "importer"
  local ga = as_group(a)
  if not ga then
    if imp then return psums_by(field, a, nil, c, P) end
    return psums_by(field, nil, a, c, P)
  end
  local acc = {}
  for i = 1, #ga do
    local g
    if imp then g = psums_by(field, ga[i], nil, c, P) else g = psums_by(field, nil, ga[i], c, P) end
    for j = 1, #g do
      if not group_has(ga, g[j][1]) then acc_add(acc, g[j][1], g[j][2]) end
    end
  end
  return sorted_groups(acc)
end

---------------------------------------------------------------------------
-- 4. Declaring a function
--
-- Each function of the library is declared once, by def{...} beside the
-- code it needs: its name, parameters, documentation and implementation.
-- Everything else is generated from that declaration: the argument checks
-- (section 2), the usage line and the `_doc` and `_params` entries that
-- :help, the language server and the C bridge read, the period (year:, or
-- since: and until:) and the measure (by: volume) handed to the
-- implementation.
---------------------------------------------------------------------------

local M = { _doc = {}, _params = {} }

-- Named parameters shared by the trade figures: a commodity and a period,
-- and by: for the figures that also measure volumes.
local TRADE = { "commodity", "commodity", "year", "year", "since", "when", "until", "when" }
local BY = { "by", "by" }

-- How a usage line names each named parameter's value.
local USAGE_WORD = { from = "b", to = "b", lender = "b", commodity = "c", year = "y",
                     since = "s", ["until"] = "u", production = "P", by = "volume" }

-- The usage line: "imports(a, from: b, commodity: c, year: y | since: s, until: u, by: volume)";
-- since: and until: are the alternative to year:, hence the bar.
local function usage_of(s)
  local parts = {}
  for i = 1, #s.pos do parts[#parts + 1] = s.pos[i][1] end
  for i = 1, #s.names do
    local k = s.names[i]
    local word = USAGE_WORD[k]
    if word == nil then error(format("stdlib: %s: no usage word for %s:", s.fname, k), 0) end
    local text = k .. ": " .. word
    if k == "since" and s.named.year then parts[#parts] = parts[#parts] .. " | " .. text
    else parts[#parts + 1] = text end
  end
  return s.fname .. "(" .. concat(parts, ", ") .. ")"
end

local GROUPS_NOTE = " Partners may be groups (lists of partners; a group's internal deals are left out when it is the first argument)."

-- def{ name, pos = {...}, named = {...}, required = {...}, doc, example,
--      see, fn = function(s, <positional...>, o, P, m) }
-- pos and named: as spec (section 2) takes them; required: named
-- parameters that must be given. fn gets the spec s (for messages), the
-- checked positional arguments, the options o (EMPTY when none), the
-- period P of period_of when the function takes since:/until: (else nil)
-- and the measure m (VOLUME for by: volume, else VALUE). No table is made
-- per call: the hot paths stay allocation-free.
local function def(d)
  local name = d[1]
  local s = spec(name, d.pos or {}, d.named)
  local fn, needs = d.fn, d.required or {}
  if type(fn) ~= "function" or type(d.doc) ~= "string" or type(d.example) ~= "string" then
    error(format("stdlib: %s: a declaration needs fn, doc and example", name), 0)
  end
  for i = 1, #needs do
    if s.named[needs[i]] == nil then error(format("stdlib: %s: required %s: is not a parameter", name, needs[i]), 0) end
  end
  local period, by = s.named.since ~= nil, s.named.by ~= nil
  -- after the arguments: required ones, the period, the measure
  local function extras(o)
    for i = 1, #needs do required(s, o, needs[i]) end
    local P = period and period_of(s, o) or nil
    if by and o.by == "volume" then vbegin(s) return P, VOLUME end
    return P, VALUE
  end
  local np = #s.pos
  local f
  if np == 0 then
    f = function(o, x)
      o = args0(s, o, x)
      return fn(s, o, extras(o))
    end
  elseif np == 1 then
    f = function(a, o, x)
      a, o = args1(s, a, o, x)
      return fn(s, a, o, extras(o))
    end
  elseif np == 2 then
    f = function(a, b, o, x)
      a, b, o = args2(s, a, b, o, x)
      return fn(s, a, b, o, extras(o))
    end
  else
    error(format("stdlib: %s: def handles at most 2 positional parameters", name), 0)
  end
  M[name] = f
  local pos = {}
  for i = 1, np do pos[i] = s.pos[i][1] end
  M._doc[name] = { usage = usage_of(s), doc = period and d.doc .. GROUPS_NOTE or d.doc, example = d.example, see = d.see }
  M._params[name] = { positional = pos, named = s.names, types = s.named }
end

local MERGER = "US DOJ/FTC Horizontal Merger Guidelines (2010): HHI on a 0..10000 scale; " ..
               "below 1500 unconcentrated, 1500-2500 moderately, above 2500 highly concentrated"

---------------------------------------------------------------------------
-- 5. Trade figures (quantities in USD, or in the volumes' unit)
---------------------------------------------------------------------------

def { "exports",
  pos = { "a", "partner" }, named = { "to", "partner", TRADE, BY },
  doc = "Value in USD of the deals with exporter a (and importer b, commodity c, year y when given).",
  example = "exports(PAK, to: USA)",
  fn = function(_, a, o, P, m)
    local v = flow("exporter", a, o.to, o.commodity, P, m)
    if v == 0 and year_of(P) ~= nil then m.year_note("exports", P) end
    return m.result(v)
  end }

def { "imports",
  pos = { "a", "partner" }, named = { "from", "partner", TRADE, BY },
  doc = "Value in USD of the deals with importer a (and exporter b, commodity c, year y when given).",
  example = "imports(PAK, commodity: crude_oil)",
  fn = function(_, a, o, P, m)
    local v = flow("importer", a, o.from, o.commodity, P, m)
    if v == 0 and year_of(P) ~= nil then m.year_note("imports", P) end
    return m.result(v)
  end }

def { "trade",
  pos = { "a", "partner", "b?", "partner" }, named = { TRADE, BY },
  doc = "Exports of a to b plus imports of a from b, in USD; without b, all of a's exports plus imports.",
  example = "trade(PAK, CHN)",
  fn = function(_, a, b, o, P, m)
    local c = o.commodity
    return m.result(flow("exporter", a, b, c, P, m) + flow("importer", a, b, c, P, m))
  end }

def { "balance",
  pos = { "a", "partner", "b?", "partner" }, named = { TRADE },
  doc = "Exports of a to b minus imports of a from b, in USD (negative for a deficit); without b, against everyone.",
  example = "balance(PAK, USA)",
  fn = function(_, a, b, o, P)
    local c = o.commodity
    return usd(flow("exporter", a, b, c, P) - flow("importer", a, b, c, P))
  end }

def { "world_exports",
  named = { TRADE, BY },
  doc = "Value in USD of all deals (of commodity c, year y), whoever trades.",
  example = "world_exports(commodity: crude_oil)",
  fn = function(_, o, P, m) return m.result(m.sum(nil, nil, o.commodity, P)) end }

---------------------------------------------------------------------------
-- 6. Shares (plain numbers, 0.7 for 70 %)
--
-- A share of a zero total is 0: whoever supplies nothing of nothing supplies
-- 0 % of it, so `import_share(...) <= 40%` holds where nothing is imported,
-- and R4 of W1 ("if D = 0, R4 passes") falls out. A zero total with a
-- non-zero part (possible only with negative values) is an error.
---------------------------------------------------------------------------

local function share(s, part, total, what, year, of_loans)
  if total == 0 then
    if part == 0 then zero_total(s.fname, what, year, of_loans); return 0 end
    herror(format("%s: %s is 0 USD but the part is %s USD (negative values?)", s.fname, what, num_text(part)))
  end
  return part / total
end

-- A share of volumes (a zero total gives 0, as for values).
local function vshare(s, part, total, what)
  if total == 0 then
    if part == 0 then return 0 end
    herror(format("%s: %s is 0 but the part is %s (negative volumes?)", s.fname, what, num_text(part)))
  end
  return part / total
end

VALUE.share, VOLUME.share = share, vshare

def { "import_share",
  pos = { "a", "partner", "b", "partner" }, named = { TRADE, BY },
  doc = "imports(a, from: b, ...) / imports(a, ...) as a plain ratio (0.6 for 60%); 0 when a imports nothing.",
  example = "import_share(PAK, SAU, commodity: crude_oil)",
  fn = function(s, a, b, o, P, m)
    local c = o.commodity
    return m.share(s, flow("importer", a, b, c, P, m), flow("importer", a, nil, c, P, m), "the total of imports", year_of(P))
  end }

def { "export_share",
  pos = { "a", "partner", "b", "partner" }, named = { TRADE, BY },
  doc = "exports(a, to: b, ...) / exports(a, ...) as a plain ratio; 0 when a exports nothing.",
  example = "export_share(PAK, USA)",
  fn = function(s, a, b, o, P, m)
    local c = o.commodity
    return m.share(s, flow("exporter", a, b, c, P, m), flow("exporter", a, nil, c, P, m), "the total of exports", year_of(P))
  end }

def { "world_share",
  pos = { "a", "partner" }, named = { TRADE, BY },
  doc = "exports(a, ...) / world_exports(...) as a plain ratio; 0 when nothing is traded.",
  example = "world_share(SAU, commodity: crude_oil)",
  fn = function(s, a, o, P, m)
    local c = o.commodity
    return m.share(s, flow("exporter", a, nil, c, P, m), m.sum(nil, nil, c, P), "the world total", year_of(P))
  end }

---------------------------------------------------------------------------
-- 7. Concentration: Herfindahl-Hirschman index, 0..10000
--
-- Computed as W1 (bench/w1/WORKLOAD.md section 3 item 4): for each group in
-- ascending code order, h = 100 * (s / t), then hhi = hhi + h * h.
---------------------------------------------------------------------------

-- HHI of the {key, sum} groups of hedge.deal_sums_by against the total t.
local function hhi_of_groups(groups, t)
  if t == 0 then return 0 end
  local acc = 0.0
  for i = 1, #groups do
    local h = 100.0 * (groups[i][2] / t)
    acc = acc + h * h
  end
  return acc
end

-- The key with the largest sum; ties (tolerant equality) go to the first,
-- which is the smallest code since deal_sums_by sorts by name. nil when no
-- group has a positive sum.
local function top_of_groups(groups)
  local best, who = 0, nil
  for i = 1, #groups do
    local g = groups[i]
    local s = g[2]
    if s > best and not tol_eq(s, best) then best, who = s, g[1] end
  end
  return who
end

local function positive_groups(groups)
  local n = 0
  for i = 1, #groups do if groups[i][2] > 0 then n = n + 1 end end
  return n
end

-- Values of a list for hhi(): numbers, or quantities of one unit (the plain
-- number 0 goes with any unit). Returns the compensated total and the count
-- of positive entries; errors name the offending element.
local function list_total(s, list)
  local t, c, npos, unit = 0.0, 0.0, 0, nil
  for i = 1, #list do
    local v = list[i]
    local x
    if type(v) == "number" then
      x = v
      if x ~= 0 and unit ~= nil and unit ~= "" then
        herror(format("%s: element %d is the plain number %s but earlier elements are in %s",
                      s.fname, i, num_text(x), unit))
      end
      if x ~= 0 then unit = unit or "" end
    elseif hkind(v) == "quantity" then
      x = v.value
      local u = v.unit
      if unit == nil then unit = u
      elseif unit ~= u then
        herror(format("%s: element %d is in %s but earlier elements are in %s", s.fname, i, tostring(u),
                      unit == "" and "plain numbers" or unit))
      end
    else
      herror(format("%s: element %d must be a number or a quantity, got %s", s.fname, i, describe(v)))
    end
    if x < 0 or x ~= x then
      herror(format("%s: element %d is %s; shares need values >= 0", s.fname, i, num_text(x)))
    end
    if x > 0 then npos = npos + 1 end
    t, c = neumaier_add(t, c, x)
  end
  return t + c, npos
end

local function value_of(v) if type(v) == "number" then return v end return v.value end

local function hhi_list(s, list)
  local t, npos = list_total(s, list)
  if t == 0 then return 0, npos end
  local acc = 0.0
  for i = 1, #list do
    local h = 100.0 * (value_of(list[i]) / t)
    acc = acc + h * h
  end
  return acc, npos
end

def { "hhi",
  pos = { "list", "list" },
  doc = "Herfindahl-Hirschman index, 0..10000, of the shares x_i / sum(x) of a list of numbers or " ..
        "quantities (sum of (100*share)^2); 0 for an empty list or a zero total.",
  example = "hhi([60, 20, 20])", see = MERGER,
  fn = function(s, list) return (hhi_list(s, list)) end }

def { "hhi_normalized",
  pos = { "list", "list" },
  doc = "Normalized HHI, 0..1: (H - 1/N) / (1 - 1/N) with H = hhi(list)/10000 and N the number of " ..
        "positive entries; 1 when N = 1, 0 when N = 0.",
  example = "hhi_normalized([60, 20, 20])",
  fn = function(s, list)
    local h, n = hhi_list(s, list)
    if n == 0 then return 0 end
    if n == 1 then return 1 end
    local r = (h / 10000 - 1 / n) / (1 - 1 / n)
    if r < 0 then r = 0 elseif r > 1 then r = 1 end -- rounding only: 1/N <= H <= 1
    return r
  end }

-- HHI of a's partners on side `role` (its suppliers when a imports).
local function flow_hhi(s, role, what, a, o, P, m)
  local c = o.commodity
  local t = flow(role, a, nil, c, P, m)
  if t == 0 then zero_total(s.fname, what, year_of(P)); return 0 end
  return hhi_of_groups(flows_by(role, a, c, P, m), t)
end

def { "import_hhi",
  pos = { "a", "partner" }, named = { TRADE, BY },
  doc = "HHI (0..10000) of the shares of a's suppliers in a's imports; 0 when a imports nothing.",
  example = "import_hhi(PAK, commodity: crude_oil)", see = MERGER,
  fn = function(s, a, o, P, m) return flow_hhi(s, "importer", "the total of imports", a, o, P, m) end }

def { "export_hhi",
  pos = { "a", "partner" }, named = { TRADE, BY },
  doc = "HHI (0..10000) of the shares of a's customers in a's exports; 0 when a exports nothing.",
  example = "export_hhi(PAK)", see = MERGER,
  fn = function(s, a, o, P, m) return flow_hhi(s, "exporter", "the total of exports", a, o, P, m) end }

def { "world_hhi",
  named = { TRADE, BY },
  doc = "HHI (0..10000) of the exporters' shares of world exports (supply concentration); 0 when nothing is traded.",
  example = "world_hhi(commodity: crude_oil)", see = MERGER,
  fn = function(s, o, P, m)
    local c = o.commodity
    local t = m.sum(nil, nil, c, P)
    if t == 0 then zero_total(s.fname, "the world total", year_of(P)); return 0 end
    return hhi_of_groups(m.sums_by("exporter", nil, nil, c, P), t)
  end }

def { "top_supplier",
  pos = { "a", "partner" }, named = { TRADE, BY },
  doc = "The partner with the largest share of a's imports; on a tie the smallest code; nil when a imports nothing.",
  example = "top_supplier(PAK, commodity: crude_oil)",
  fn = function(_, a, o, P, m) return top_of_groups(flows_by("importer", a, o.commodity, P, m)) end }

def { "top_customer",
  pos = { "a", "partner" }, named = { TRADE },
  doc = "The partner with the largest share of a's exports; on a tie the smallest code; nil when a exports nothing.",
  example = "top_customer(PAK)",
  fn = function(_, a, o, P) return top_of_groups(flows_by("exporter", a, o.commodity, P)) end }

def { "top_exporter",
  named = { TRADE },
  doc = "The partner with the largest share of world exports; on a tie the smallest code; nil when nothing is traded.",
  example = "top_exporter(commodity: crude_oil)",
  fn = function(_, o, P) return top_of_groups(psums_by("exporter", nil, nil, o.commodity, P)) end }

def { "supplier_count",
  pos = { "a", "partner" }, named = { TRADE },
  doc = "Number of partners from which a imports a positive value.",
  example = "supplier_count(PAK, commodity: crude_oil)",
  fn = function(_, a, o, P) return positive_groups(flows_by("importer", a, o.commodity, P)) end }

def { "customer_count",
  pos = { "a", "partner" }, named = { TRADE },
  doc = "Number of partners to which a exports a positive value.",
  example = "customer_count(PAK)",
  fn = function(_, a, o, P) return positive_groups(flows_by("exporter", a, o.commodity, P)) end }

local function gt(p, q) return p > q end

def { "top_k_share",
  pos = { "a", "partner", "k", "count" }, named = { TRADE },
  doc = "Concentration ratio CR_k: share (0..1) of a's imports that come from its k largest suppliers; 0 when a imports nothing.",
  example = "top_k_share(PAK, 2, commodity: crude_oil)",
  fn = function(s, a, k, o, P)
    local c = o.commodity
    local t = flow("importer", a, nil, c, P)
    if t == 0 then zero_total(s.fname, "the total of imports", year_of(P)); return 0 end
    if k == 0 then return 0 end
    local groups = flows_by("importer", a, c, P)
    local v = {}
    for i = 1, #groups do v[i] = groups[i][2] end
    sort(v, gt)
    local sum, comp = 0.0, 0.0
    for i = 1, (k < #v and k or #v) do sum, comp = neumaier_add(sum, comp, v[i]) end
    return share(s, sum + comp, t, "the total of imports")
  end }

---------------------------------------------------------------------------
-- 8. Debt
--
-- A loan is outstanding in year y when year(start) <= y < year(start) + term
-- (term in years); without start it is outstanding in every year, without
-- term from its start year on. `year:` defaults to the latest start year of
-- the loans (hedge.latest_year("loans")): a deal, even a projected one,
-- does not move a debt figure; the year used is reported (hedge.default_year).
---------------------------------------------------------------------------

local DEBT_FILTER = {}
local default_year = hedge.default_year or function() end

local function debt_year(o, fname)
  local y = o.year
  if y == nil then
    y = latest_year("loans")
    if y == nil then return 0 end -- no dated loan: every loan is undated
    default_year(fname, y)
  end
  return tointeger(y) or y
end

local function dbsum1(borrower, lender, y)
  local f = DEBT_FILTER
  f.borrower, f.lender, f.year = borrower, lender, y
  return (debt_sum(f))
end

-- Debt of a (a partner or a group) to b (nil: every lender) in year y; a
-- group borrows as one: loans between two of its members are left out.
local function dbsum(a, b, y)
  local ga, gb = as_group(a), as_group(b)
  if not ga and not gb then return dbsum1(a, b, y) end
  local t, c = 0.0, 0.0
  if ga then
    if gb then
      for i = 1, #ga do for j = 1, #gb do
        if not group_has(ga, gb[j]) then t, c = neumaier_add(t, c, dbsum1(ga[i], gb[j], y)) end
      end end
    elseif b ~= nil then
      if group_has(ga, b) then return 0 end
      for i = 1, #ga do t, c = neumaier_add(t, c, dbsum1(ga[i], b, y)) end
    else
      for i = 1, #ga do
        t, c = neumaier_add(t, c, dbsum1(ga[i], nil, y))
        for j = 1, #ga do t, c = neumaier_add(t, c, -dbsum1(ga[i], ga[j], y)) end
      end
    end
  else
    for j = 1, #gb do t, c = neumaier_add(t, c, dbsum1(a, gb[j], y)) end
  end
  return t + c
end

-- The loans of a (a partner or a group: every member's, less the loans
-- between members) outstanding in year y, from lender b when given (a
-- partner or a group). Which loans are outstanding is the C side's rule
-- (hedge.loans with a year, index.c), the one hedge.debt_sum sums.
local function loans_of(a, b, y)
  local ga, gb = as_group(a), as_group(b)
  if not ga and not gb then return loans_query({ borrower = a, lender = b, year = y }) end
  local out = {}
  local borrowers = ga or { a }
  for i = 1, #borrowers do
    local ls = loans_query({ borrower = borrowers[i], lender = (not gb) and b or nil, year = y })
    for j = 1, #ls do
      local who = ls[j].lender
      if not (ga and group_has(ga, who)) and not (gb and not group_has(gb, who)) then out[#out + 1] = ls[j] end
    end
  end
  return out
end

def { "debt",
  pos = { "a", "partner" }, named = { "lender", "partner", "year", "year" },
  doc = "Principal in USD of a's loans (from b) outstanding in year y (default: the latest year in the world).",
  example = "debt(PAK, year: 2025)",
  fn = function(s, a, o) return qty(dbsum(a, o.lender, debt_year(o, s.fname)), "USD") end }

def { "debt_share",
  pos = { "a", "partner", "b", "partner" }, named = { "year", "year" },
  doc = "debt(a, lender: b, ...) / debt(a, ...) as a plain ratio; 0 when a owes nothing.",
  example = "debt_share(PAK, CHN, year: 2025)",
  fn = function(s, a, b, o)
    local y = debt_year(o, s.fname)
    return share(s, dbsum(a, b, y), dbsum(a, nil, y), "the total debt", y, true)
  end }

-- Lenders of a's loans outstanding in y, sorted by name.
local function lenders_of(a, y)
  local seen, list = {}, {}
  local ls = loans_of(a, nil, y)
  for i = 1, #ls do
    local who = ls[i].lender
    if not seen[who] then seen[who] = true; list[#list + 1] = who end
  end
  sort(list, function(p, q) return hname(p) < hname(q) end)
  return list
end

def { "debt_hhi",
  pos = { "a", "partner" }, named = { "year", "year" },
  doc = "HHI (0..10000) of the lenders' shares of a's outstanding debt; 0 when a owes nothing.",
  example = "debt_hhi(PAK, year: 2025)", see = MERGER,
  fn = function(s, a, o)
    local y = debt_year(o, s.fname)
    local t = dbsum(a, nil, y)
    if t == 0 then zero_total(s.fname, "the total debt", y, true); return 0 end
    local acc = 0.0
    local lenders = lenders_of(a, y)
    for i = 1, #lenders do
      local h = 100.0 * (dbsum(a, lenders[i], y) / t)
      acc = acc + h * h
    end
    return acc
  end }

def { "top_lender",
  pos = { "a", "partner" }, named = { "year", "year" },
  doc = "The lender holding the largest part of a's outstanding debt; on a tie the smallest code; nil when a owes nothing.",
  example = "top_lender(PAK, year: 2025)",
  fn = function(s, a, o)
    local y = debt_year(o, s.fname)
    local best, who = 0, nil
    local lenders = lenders_of(a, y)
    for i = 1, #lenders do
      local v = dbsum(a, lenders[i], y)
      if v > best and not tol_eq(v, best) then best, who = v, lenders[i] end
    end
    return who
  end }

-- Yearly payment on loan l: the annuity P*r / (1 - (1+r)^-n), P/n when
-- r = 0; without a term, interest only (P*r, the limit as n grows).
local function annuity(s, l)
  local p = l.principal
  local P = p and p.value
  if type(P) ~= "number" then
    herror(format("%s: loan %s has no principal", s.fname, hname(l)))
  end
  local r = l.rate
  if r == nil then r = 0 end
  if type(r) ~= "number" then
    herror(format("%s: loan %s has rate %s; a rate is a plain ratio such as 4.5%%", s.fname, hname(l), describe(r)))
  end
  if r >= 1 or r <= -1 then
    herror(format("%s: loan %s has rate %s, that is %s%% a year; write rates as ratios or with %% (3.25%% is 0.0325)",
                  s.fname, hname(l), num_text(r), num_text(r * 100)))
  end
  local term = l.term
  if term == nil then return P * r end
  local n = term.value
  if r == 0 then return P / n end
  return P * r / (1 - (1 + r) ^ -n)
end

def { "debt_service",
  pos = { "a", "partner" }, named = { "lender", "partner", "year", "year" },
  doc = "Yearly payment in USD on a's loans outstanding in y: annuity P*r/(1-(1+r)^-n) per loan, P/n at rate 0, " ..
        "P*r (interest only) without a term.",
  example = "debt_service(PAK, lender: SAU, year: 2020)",
  fn = function(s, a, o)
    local y = debt_year(o, s.fname)
    local ls = loans_of(a, o.lender, y)
    local t, c = 0.0, 0.0
    for i = 1, #ls do t, c = neumaier_add(t, c, annuity(s, ls[i])) end
    return qty(t + c, "USD")
  end }

---------------------------------------------------------------------------
-- 9. Analyst indicators
---------------------------------------------------------------------------

-- Balassa (1965) revealed comparative advantage: (x_ac / x_a) / (x_wc / x_w).
def { "rca",
  pos = { "a", "partner" }, named = { TRADE }, required = { "commodity" },
  doc = "Balassa revealed comparative advantage (x_ac/x_a)/(x_wc/x_w) within the declared world; above 1 means a " ..
        "specializes in c; 0 when a does not export c.",
  example = "rca(PAK, commodity: copper)",
  see = "Balassa, B. (1965), Trade Liberalisation and 'Revealed' Comparative Advantage, The Manchester School 33(2)",
  fn = function(_, a, o, P)
    local c = o.commodity
    local x_ac = flow("exporter", a, nil, c, P)
    if x_ac == 0 then return 0 end
    local x_a, x_wc, x_w = flow("exporter", a, nil, nil, P), psum(nil, nil, c, P), psum(nil, nil, nil, P)
    if x_a == 0 or x_wc == 0 or x_w == 0 then
      herror(format("rca: a zero total of exports with %s USD of %s exported (negative values?)",
                    num_text(x_ac), hname(c)))
    end
    return (x_ac / x_a) / (x_wc / x_w)
  end }

-- The deals with a (a partner or a group) on side `role`, commodity c,
-- year y; a group's internal deals left out.
local function deals_of(role, a, c, y)
  local ga = as_group(a)
  y = y and tointeger(y)
  if not ga then
    if role == "importer" then return deals_query({ importer = a, commodity = c, year = y }) end
    return deals_query({ exporter = a, commodity = c, year = y })
  end
  local other = role == "importer" and "exporter" or "importer"
  local out = {}
  for i = 1, #ga do
    local q = { commodity = c, year = y }
    q[role] = ga[i]
    local ds = deals_query(q)
    for j = 1, #ds do if not group_has(ga, ds[j][other]) then out[#out + 1] = ds[j] end end
  end
  return out
end

-- Sum of the volumes (in unit u) of the deals ds; every deal needs one.
local function volume_sum(s, ds, u)
  local t, c = 0.0, 0.0
  for i = 1, #ds do
    local d = ds[i]
    local v = d.volume
    if v == nil then
      herror(format("%s: deal %s has no volume; production is in %s, so every deal of the commodity needs one",
                    s.fname, hname(d), u))
    end
    if v.unit ~= u then
      herror(format("%s: deal %s has volume in %s but production is in %s", s.fname, hname(d), tostring(v.unit), u))
    end
    t, c = neumaier_add(t, c, v.value)
  end
  return t + c
end

-- USGS net import reliance: (imports - exports) / (production + imports - exports).
def { "net_import_reliance",
  pos = { "a", "partner" }, named = { "commodity", "commodity", "production", "quantity", "year", "year" },
  required = { "commodity", "production" },
  doc = "USGS net import reliance (imports - exports) / (production + imports - exports), a plain ratio (negative: " ..
        "net exporter); production in USD compares with deal values, in t (or another unit) with deal volumes.",
  example = "net_import_reliance(USA, commodity: copper, production: 30M USD)",
  see = "USGS Mineral Commodity Summaries, Appendix: net import reliance as a percentage of apparent consumption",
  fn = function(s, a, o)
    local c, y, P = o.commodity, o.year, o.production
    local prod, imp, exp, unit
    if P == 0 or P.unit == "USD" then
      prod = P == 0 and 0 or P.value
      imp, exp, unit = flow("importer", a, nil, c, y), flow("exporter", a, nil, c, y), "USD"
    else
      unit = P.unit
      prod = P.value
      imp = volume_sum(s, deals_of("importer", a, c, y), unit)
      exp = volume_sum(s, deals_of("exporter", a, c, y), unit)
    end
    if prod < 0 then
      herror(format("net_import_reliance: production must be >= 0, got %s %s", num_text(prod), unit))
    end
    local net = imp - exp
    local consumption = prod + net
    if consumption <= 0 then
      if consumption == 0 and net == 0 then return 0 end
      herror(format("net_import_reliance: apparent consumption (production + imports - exports) of %s is %s %s, not positive",
                    hname(c), num_text(consumption), unit))
    end
    return net / consumption
  end }

return M
