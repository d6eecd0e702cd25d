-- ext_values.lua: values crossing between hedge and Lua (docs/language.md, "Extensions and foreign functions").
-- Used by values.hedge; every function is small enough to read as its own test.
local M = {}

-- Round trip: hedge -> Lua -> hedge must give back an equal value.
function M.echo(x) return x end

-- What Lua sees.
function M.kind_of(x) return hedge.kind(x) end
function M.lua_type(x) return type(x) end
function M.is_integer(x) return math.type(x) == "integer" end
function M.nargs(...) return select("#", ...) end

-- Tables built in Lua.
function M.make_list() return { 1, "two", true } end
function M.make_record() return { b = 2, a = "x" } end
function M.make_empty() return {} end
function M.make_nested() return { xs = { 1, 2, { 3 } }, r = { k = "v" } } end
function M.list_len(xs) return #xs end
function M.record_get(r, k) return r[k] end
function M.integer_result() return 7 // 2 end          -- a Lua integer: arrives as the number 3

-- Tables that are neither lists nor string-keyed records cannot cross.
function M.bad_mixed() return { 1, 2, x = 3 } end
function M.bad_holes() return { [1] = "a", [3] = "c" } end
function M.bad_float_key() return { [1.5] = "a" } end
function M.bad_entity_keys(p) return { [p] = 1 } end
function M.bad_function() return function() end end
function M.bad_coroutine() return coroutine.create(function() end) end
function M.bad_cycle() local t = {}; t[1] = t; return t end

-- Quantities: .value in the base unit, .unit the base unit's name.
function M.qty_value(q) return q.value end
function M.qty_unit(q) return q.unit end
function M.make_qty(x, u) return hedge.qty(x, u) end
function M.bad_unit() return hedge.qty(1, "USDD") end
function M.add(a, b) return a + b end
function M.sub(a, b) return a - b end
function M.mul(a, b) return a * b end
function M.div(a, b) return a / b end
function M.neg(a) return -a end
function M.lt(a, b) return a < b end
function M.le(a, b) return a <= b end
function M.eq(a, b) return a == b end
function M.to_text(x) return tostring(x) end
function M.cat(x) return "<" .. x .. ">" end

-- Dates: .year .month .day, comparisons, date + time.
function M.date_parts(d) return { d.year, d.month, d.day } end
function M.make_date(y, m, d) return hedge.date(y, m, d) end

return M
