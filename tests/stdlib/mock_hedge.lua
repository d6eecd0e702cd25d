-- tests/stdlib/mock_hedge.lua: a plain-Lua stand-in for the C side of the
-- hedge Lua bridge, so the standard library can be unit-tested with lua5.4
-- before (and independently of) the C core. It implements the Lua-side API
-- of docs/stdlib.md ("What the C bridge provides") over a world held in Lua
-- tables, by linear scans: slow, but obviously right.
--
-- Entities, quantities and dates are tables with metatables here (userdata in
-- the real bridge); the stdlib only uses them through fields, hedge.kind and
-- hedge.name, so it cannot tell the difference. The mock is strict where the
-- real bridge may be lenient: filter tables may hold only the documented keys,
-- entity filters must be entities of the right kind, years must be integers.

local M = {}

local floor = math.floor
local format = string.format

---------------------------------------------------------------------------
-- Errors: hedge.error raises a table, so tests tell hedge errors (intended)
-- from Lua errors (bugs) apart.
---------------------------------------------------------------------------

local HERR = { __tostring = function(e) return "hedge error: " .. e.msg end }
function M.is_hedge_error(e) return getmetatable(e) == HERR end
local function herror(msg) error(setmetatable({ msg = msg }, HERR), 0) end
M.herror = herror

---------------------------------------------------------------------------
-- Units: a quantity holds its magnitude in the base unit and the base unit's
-- name ("USD", "t", "USD/t").
---------------------------------------------------------------------------

local UNITS -- name -> { factor, base name }
local function reset_units()
  UNITS = {
    USD = { 1, "USD" }, t = { 1, "t" }, kg = { 0.001, "t" }, bbl = { 1, "bbl" },
    years = { 1, "years" }, months = { 1 / 12, "years" }, days = { 1 / 365, "years" },
  }
end
reset_units()

-- "USD/kg" -> factor 1000, base "USD/t"; nil, message when unknown.
function M.parse_unit(text)
  local factor, base, op = 1, {}, "*"
  for sep, word in ("*" .. text):gmatch("([/*])([%a_][%w_]*)") do
    local u = UNITS[word]
    if not u then return nil, word end
    if sep == "*" then factor = factor * u[1] else factor = factor / u[1] end
    base[#base + 1] = (#base > 0 and sep or (sep == "/" and "1/" or "")) .. u[2]
  end
  return factor, table.concat(base)
end

function M.declare_unit(name, factor, base)
  UNITS[name] = { factor or 1, base or name }
end

function M.unit_names()
  local names = {}
  for k in pairs(UNITS) do names[#names + 1] = k end
  return names
end

local QTY = {}
local deal_index, INDEX -- the deal_sum index, defined with the world
local function mkqty(v, unit)
  if unit == "" or unit == nil then return v end
  return setmetatable({ value = v, unit = unit }, QTY)
end
M.QTY = QTY
M.mkqty = mkqty

local function is_qty(v) return getmetatable(v) == QTY end
M.is_qty = is_qty

local function parts(x)
  if is_qty(x) then return x.value, x.unit end
  if type(x) == "number" then return x, "" end
  herror("arithmetic on " .. M.kind(x))
end

local function unit_text(u) return u == "" and "plain number" or u end

local function same_dim(a, b, op)
  local va, ua = parts(a)
  local vb, ub = parts(b)
  if ua ~= ub then
    if ua == "" and va == 0 then ua = ub elseif ub == "" and vb == 0 then ub = ua
    else herror(format("cannot %s %s and %s", op, unit_text(ua), unit_text(ub))) end
  end
  return va, vb, ua
end

local function combine(ua, ub, op)
  if op == "*" then
    if ua == "" then return ub elseif ub == "" then return ua end
    return ua .. "*" .. ub
  end
  if ub == "" then return ua end
  if ua == ub then return "" end
  if ua == "" then return "1/" .. ub end
  return ua .. "/" .. ub
end

QTY.__add = function(a, b) local x, y, u = same_dim(a, b, "add"); return mkqty(x + y, u) end
QTY.__sub = function(a, b) local x, y, u = same_dim(a, b, "subtract"); return mkqty(x - y, u) end
QTY.__unm = function(a) return mkqty(-a.value, a.unit) end
QTY.__mul = function(a, b)
  local x, ua = parts(a); local y, ub = parts(b)
  return mkqty(x * y, combine(ua, ub, "*"))
end
QTY.__div = function(a, b)
  local x, ua = parts(a); local y, ub = parts(b)
  if y == 0 then herror("division by zero") end
  return mkqty(x / y, combine(ua, ub, "/"))
end

-- Tolerant comparison (SPEC.md section 3).
function M.tol_eq(a, b)
  local m = math.max(math.abs(a), math.abs(b))
  return math.abs(a - b) <= 0x1p-44 * m
end
QTY.__eq = function(a, b)
  if not (is_qty(a) and is_qty(b)) or a.unit ~= b.unit then return false end
  return M.tol_eq(a.value, b.value)
end
QTY.__lt = function(a, b)
  local x, y = same_dim(a, b, "compare")
  return x < y and not M.tol_eq(x, y)
end
QTY.__le = function(a, b)
  local x, y = same_dim(a, b, "compare")
  return x < y or M.tol_eq(x, y)
end
QTY.__tostring = function(q) return format("%.17g %s", q.value, q.unit) end

---------------------------------------------------------------------------
-- Dates
---------------------------------------------------------------------------

local DATE = {}
local function mkdate(y, m, d) return setmetatable({ year = y, month = m or 1, day = d or 1 }, DATE) end
local function dkey(d) return (d.year * 100 + d.month) * 100 + d.day end
DATE.__eq = function(a, b) return dkey(a) == dkey(b) end
DATE.__lt = function(a, b) return dkey(a) < dkey(b) end
DATE.__le = function(a, b) return dkey(a) <= dkey(b) end
DATE.__tostring = function(d) return format("%04d-%02d-%02d", d.year, d.month, d.day) end
M.mkdate = mkdate
M.DATE = DATE

---------------------------------------------------------------------------
-- The world and its entities
---------------------------------------------------------------------------

local INFO = setmetatable({}, { __mode = "k" }) -- entity -> { kind, name, fields, pos }
local ENT = {
  __index = function(e, k)
    local i = INFO[e]
    if k == "year" and i.kind == "deal" then
      local d = i.fields.date
      return d and d.year
    end
    return i.fields[k]
  end,
  __newindex = function() error("entities are read-only", 2) end,
  __tostring = function(e) return M.name(e) end,
}
M.ENT = ENT

local W -- the current world

function M.reset()
  INDEX = nil
  W = { partners = {}, commodities = {}, deals = {}, loans = {}, byname = {} }
  reset_units()
  M.world = W
  M.calls = {}
end

local function count_call(name) M.calls[name] = (M.calls[name] or 0) + 1 end

-- Adds an entity of `kind` (name may be nil for deals and loans) with fields.
function M.add(kind, name, fields)
  INDEX = nil
  local e = setmetatable({}, ENT)
  local list = W[kind == "commodity" and "commodities" or kind .. "s"]
  list[#list + 1] = e
  INFO[e] = { kind = kind, name = name, fields = fields or {}, pos = #list }
  if name then
    if W.byname[name] then herror("duplicate name " .. name) end
    W.byname[name] = e
  end
  return e
end

function M.lookup(name) return W.byname[name] end
function M.is_entity(v) return INFO[v] ~= nil end
function M.entity_kind(v) local i = INFO[v]; return i and i.kind end

---------------------------------------------------------------------------
-- The hedge module
---------------------------------------------------------------------------

local NAMED = {}
M.NAMED = NAMED

function M.kind(v)
  local t = type(v)
  if t == "number" then return "number" end
  if t == "string" then return "string" end
  if t == "boolean" then return "bool" end
  if t == "nil" then return "nil" end
  if t == "function" then return "function" end
  if t == "table" then
    local i = INFO[v]
    if i then return i.kind end
    local mt = getmetatable(v)
    if mt == QTY then return "quantity" end
    if mt == DATE then return "date" end
    if v[1] ~= nil or next(v) == nil then return "list" end
    return "record"
  end
  return t
end

function M.name(e)
  local i = INFO[e]
  if not i then herror("hedge.name: not an entity: " .. M.kind(e)) end
  return i.name or (i.kind .. "#" .. i.pos)
end

local FILTER_KEYS = {
  deal = { importer = "partner", exporter = "partner", commodity = "commodity", year = "year" },
  loan = { lender = "partner", borrower = "partner", year = "year" },
}

local function check_filter(fname, f, which)
  if type(f) ~= "table" then error(fname .. ": filter must be a table", 3) end
  for k, v in pairs(f) do
    local want = FILTER_KEYS[which][k]
    if not want then error(format("%s: unknown filter key %s", fname, tostring(k)), 3) end
    if want == "year" then
      if math.type(v) ~= "integer" then error(format("%s: year must be a Lua integer, got %s", fname, tostring(v)), 3) end
    elseif M.entity_kind(v) ~= want then
      error(format("%s: %s must be a %s", fname, k, want), 3)
    end
  end
end

local function deal_matches(d, f)
  local x = INFO[d].fields
  if f.importer ~= nil and x.importer ~= f.importer then return false end
  if f.exporter ~= nil and x.exporter ~= f.exporter then return false end
  if f.commodity ~= nil and x.commodity ~= f.commodity then return false end
  if f.year ~= nil and (x.date == nil or x.date.year ~= f.year) then return false end
  return true
end

local function neumaier(values)
  local s, c = 0.0, 0.0
  for _, x in ipairs(values) do
    local t = s + x
    if math.abs(s) >= math.abs(x) then c = c + ((s - t) + x) else c = c + ((x - t) + s) end
    s = t
  end
  return s + c
end
M.neumaier = neumaier

-- A lazy index for deal_sum (so W1-sized worlds run in seconds): for each of
-- the 16 combinations of given/any filter fields, the values of the matching
-- deals in deal order. Rebuilt after any M.add.
local function index_key(i, e, c, y)
  return (i and M.name(i) or "*") .. "|" .. (e and M.name(e) or "*") .. "|" ..
         (c and M.name(c) or "*") .. "|" .. (y and tostring(y) or "*")
end
deal_index = function()
  if INDEX then return INDEX end
  INDEX = {}
  for _, d in ipairs(W.deals) do
    local x = INFO[d].fields
    local y = x.date and x.date.year
    for mask = 0, 15 do
      local ky = (mask & 8 ~= 0) and y or nil
      if not ((mask & 8 ~= 0) and y == nil) then
        local k = index_key((mask & 1 ~= 0) and x.importer or nil, (mask & 2 ~= 0) and x.exporter or nil,
                            (mask & 4 ~= 0) and x.commodity or nil, ky)
        local l = INDEX[k]
        if not l then l = {}; INDEX[k] = l end
        l[#l + 1] = x.value.value
      end
    end
  end
  return INDEX
end

local function outstanding(l, y)
  local x = INFO[l].fields
  if x.start == nil then return true end
  if y < x.start.year then return false end
  return x.term == nil or y < x.start.year + x.term.value
end

local function install_api(h)
  h.NAMED = NAMED
  h.kind = M.kind
  h.name = M.name
  h.error = herror
  h.qty = function(v, unit)
    if type(v) ~= "number" then error("hedge.qty: number expected", 2) end
    local factor, base = M.parse_unit(unit)
    if not factor then error("hedge.qty: unknown unit " .. tostring(base), 2) end
    return mkqty(v * factor, base)
  end
  h.partners = function() return { table.unpack(W.partners) } end
  h.commodities = function() return { table.unpack(W.commodities) } end
  h.deals = function(f)
    count_call("deals")
    f = f or {}
    check_filter("hedge.deals", f, "deal")
    local out = {}
    for _, d in ipairs(W.deals) do if deal_matches(d, f) then out[#out + 1] = d end end
    return out
  end
  h.loans = function(f)
    count_call("loans")
    f = f or {}
    check_filter("hedge.loans", f, "loan")
    if f.year ~= nil then error("hedge.loans: no year filter", 2) end
    local out = {}
    for _, l in ipairs(W.loans) do
      local x = INFO[l].fields
      if (f.lender == nil or x.lender == f.lender) and (f.borrower == nil or x.borrower == f.borrower) then
        out[#out + 1] = l
      end
    end
    return out
  end
  h.deal_sum = function(f)
    count_call("deal_sum")
    check_filter("hedge.deal_sum", f, "deal")
    local vals = deal_index()[index_key(f.importer, f.exporter, f.commodity, f.year)] or {}
    return neumaier(vals), #vals
  end
  h.deal_sum_at = function(importer, exporter, commodity, year)
    return h.deal_sum({ importer = importer, exporter = exporter, commodity = commodity, year = year })
  end
  h.usd = function(x) return h.qty(x, "USD") end
  h.named_checked = function(t) return false end   -- the mock checks nothing ahead
  h.deal_sums_by = function(field, f)
    count_call("deal_sums_by")
    check_filter("hedge.deal_sums_by", f, "deal")
    local groups, keys = {}, {}
    for _, d in ipairs(W.deals) do
      if deal_matches(d, f) then
        local x = INFO[d].fields
        local key
        if field == "year" then key = x.date and x.date.year
        elseif field == "exporter" or field == "importer" or field == "commodity" then key = x[field]
        else error("hedge.deal_sums_by: bad field " .. tostring(field), 2) end
        if key ~= nil then
          if not groups[key] then groups[key] = {}; keys[#keys + 1] = key end
          table.insert(groups[key], x.value.value)
        end
      end
    end
    if field == "year" then table.sort(keys) else table.sort(keys, function(a, b) return M.name(a) < M.name(b) end) end
    local out = {}
    for i, k in ipairs(keys) do out[i] = { k, neumaier(groups[k]) } end
    return out
  end
  h.debt_sum = function(f)
    count_call("debt_sum")
    check_filter("hedge.debt_sum", f, "loan")
    if f.year == nil then error("hedge.debt_sum: year is required", 2) end
    local vals = {}
    for _, l in ipairs(W.loans) do
      local x = INFO[l].fields
      if (f.lender == nil or x.lender == f.lender) and (f.borrower == nil or x.borrower == f.borrower)
         and outstanding(l, f.year) then
        vals[#vals + 1] = x.principal.value
      end
    end
    return neumaier(vals), #vals
  end
  h.latest_year = function()
    local y
    for _, d in ipairs(W.deals) do
      local dt = INFO[d].fields.date
      if dt and (y == nil or dt.year > y) then y = dt.year end
    end
    for _, l in ipairs(W.loans) do
      local st = INFO[l].fields.start
      if st and (y == nil or st.year > y) then y = st.year end
    end
    return y
  end
  -- the mock world has calendar years only
  h.fiscal_start = function() return 1 end
end

-- Sets the global `hedge`, loads stdlib/init.lua from `path` and registers
-- its functions as hedge.NAME (as the C bridge does). Returns the module.
function M.install(path)
  M.reset()
  local h = {}
  install_api(h)
  _G.hedge = h
  M.hedge = h
  local chunk, err = loadfile(path, "t")
  if not chunk then error(err) end
  local lib = chunk()
  for name, fn in pairs(lib) do
    if type(fn) == "function" then h[name] = fn end
  end
  M.lib = lib
  return lib
end

return M
