-- tests/stdlib/lua_api.lua: the standard library called from Lua, inside
-- hedge itself: no mock of the bridge, no second evaluator. The case files
-- lua_api*.hedge load a world, `use` this file and print what one of its
-- functions returns; each function runs a group of assertions against the
-- module hedge loaded (hedge.load_stdlib("init")) and returns the line
-- "lua_api GROUP: N passed, M failed", after one line per failure.
--
--   lua_api_world10()   conformance case 10's world: named-argument tables
--                       from hedge and from Lua, argument errors, every
--                       figure; the hot paths' calls to the bridge (a second
--                       copy of stdlib/init.lua loaded over a counting proxy
--                       of `hedge`, needs --allow-io); the module's _doc and
--                       _params, and docs/stdlib.md against _doc
--   lua_api_ties()      top_supplier's tie rule
--   lua_api_undated()   debt figures when no loan has a start date
--
-- Run from tests/stdlib (tests/run.py runs each case in its directory).

local lib = hedge.load_stdlib("init")
local NAMED = hedge.NAMED

local function N(t) return setmetatable(t, NAMED) end

-- The module's functions by name, and the bridge's (qty, ...) otherwise.
local h = setmetatable({}, { __index = function(_, k) return lib[k] or hedge[k] end })

local function lookup(name)
  for _, list in ipairs({ hedge.partners(), hedge.commodities() }) do
    for _, e in ipairs(list) do if hedge.name(e) == name then return e end end
  end
  error("lua_api: no partner or commodity " .. name)
end

local function near(a, b, tol) return math.abs(a - b) <= (tol or 1e-9) * math.max(1, math.abs(b)) end

local function is_hedge_error(e) return getmetatable(e) == "hedge.error" end

-- A group of assertions: ok(cond, label, detail), raises(label, f, text...),
-- done() -> the summary line (failures printed before it).
local function group(name)
  local passed, failed = 0, 0
  local g = {}
  function g.ok(cond, label, detail)
    if cond then passed = passed + 1
    else
      failed = failed + 1
      print("FAIL " .. label .. (detail and (": " .. tostring(detail)) or ""))
    end
  end
  -- f must raise a hedge error (not a Lua error) whose message has every text
  function g.raises(label, f, ...)
    local good, e = pcall(f)
    if good then return g.ok(false, label, "no error raised") end
    if not is_hedge_error(e) then return g.ok(false, label, "not a hedge error: " .. tostring(e)) end
    local msg = tostring(e[1])
    for _, t in ipairs({ ... }) do
      if not msg:find(t, 1, true) then return g.ok(false, label, "message lacks '" .. t .. "': " .. msg) end
    end
    g.ok(true, label)
  end
  function g.done() return string.format("lua_api %s: %d passed, %d failed", name, passed, failed) end
  return g
end

local function slurp(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function world10()
  local T = group("world10")
  local ok, raises = T.ok, T.raises
  local PAK, CHN, USA, SAU, IMF = lookup("PAK"), lookup("CHN"), lookup("USA"), lookup("SAU"), lookup("IMF")
  local crude, copper, textiles = lookup("crude_oil"), lookup("copper"), lookup("textiles")

  -- the module's shape
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
  ok(math.abs(ds.value - 4405161496.18) < 1000, "debt_service 2025 (conformance 10)", ds.value)
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

  -- hot paths: one indexed sum per trade figure, two per share, no deals()
  -- scan. A second copy of the library, loaded over a proxy of `hedge` that
  -- counts the calls into the bridge.
  local text = slurp("../../stdlib/init.lua")
  ok(text ~= nil, "stdlib/init.lua readable (run from tests/stdlib with --allow-io)")
  if text then
    local calls = {}
    local proxy = setmetatable({}, { __index = function(_, k)
      local v = hedge[k]
      if type(v) ~= "function" then return v end
      return function(...) calls[k] = (calls[k] or 0) + 1; return v(...) end
    end })
    local chunk, err = load(text, "=stdlib/init.lua", "t", setmetatable({ hedge = proxy }, { __index = _G }))
    ok(chunk ~= nil, "a second copy of stdlib/init.lua loads", err)
    local counted = chunk and chunk()
    if counted then
      for _ = 1, 10 do counted.import_share(PAK, SAU, N { commodity = crude, year = 2025 }) end
      ok(calls.deal_sum_at == 20 and calls.deals == nil and calls.deal_sum == nil, "import_share uses deal_sum_at only",
         string.format("deal_sum_at %s, deal_sum %s, deals %s", calls.deal_sum_at, calls.deal_sum, calls.deals))
      for k in pairs(calls) do calls[k] = nil end
      counted.import_hhi(PAK, N { commodity = crude })
      ok(calls.deal_sum_at == 1 and calls.deal_sums_by == 1, "import_hhi: one deal_sum_at, one deal_sums_by",
         string.format("deal_sum_at %s, deal_sums_by %s", calls.deal_sum_at, calls.deal_sums_by))
    end
  end

  -- docs/stdlib.md shows every function's usage line and example as _doc has them
  local md = slurp("../../docs/stdlib.md")
  ok(md ~= nil, "docs/stdlib.md exists")
  if md then
    for name, d in pairs(lib._doc) do
      ok(md:find("```hedge-example\n" .. d.example .. "\n", 1, true) ~= nil,
         "docs/stdlib.md shows the _doc example of " .. name, d.example)
      ok(md:find("\n    " .. d.usage .. "\n", 1, true) ~= nil, "docs/stdlib.md has the usage line of " .. name, d.usage)
    end
  end
  return T.done()
end

-- top_supplier on a tie: the smallest code, not the declaration order
local function ties()
  local T = group("ties")
  T.ok(h.top_supplier(lookup("F")) == lookup("A"), "top_supplier tie: smallest code, not declaration order")
  return T.done()
end

-- a loan world without any dates: debt defaults still work
local function undated()
  local T = group("undated")
  local P = lookup("P")
  T.ok(h.debt(P).value == 6e9, "debt with no dated loan (latest_year nil)")
  T.ok(near(h.debt_service(P).value, 5e9 * 0.03 / (1 - 1.03 ^ -10)), "debt_service: no rate and no term pays 0")
  return T.done()
end

return { lua_api_world10 = world10, lua_api_ties = ties, lua_api_undated = undated }
