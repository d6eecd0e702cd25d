-- ext_calls.lua: calls across the bridge (docs/language.md, "Extensions and foreign functions"). Used by calls.hedge.
local M = {}

-- Named arguments arrive as one last table whose metatable is hedge.NAMED;
-- with no named arguments, no table is passed.
function M.opt(a, o) return o and o.b end
function M.is_named(a, o) return getmetatable(o) == hedge.NAMED end
function M.nargs(...) return select("#", ...) end
function M.named_keys(o)
  local ks = {}
  for k in pairs(o) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- hedge.NAME calls any hedge function: the standard library ...
function M.imports_of(a) return hedge.imports(a) end
function M.imports_from(a, b) return hedge.imports(a, { from = b }) end
function M.imports_named(a, b) return hedge.imports(a, hedge.named { from = b }) end
-- ... C builtins (a plain table stays a value for them) ...
function M.lua_abs(x) return hedge.abs(x) end
function M.lua_len(t) return hedge.len(t) end
function M.lua_round(x, d) return hedge.round(x, d) end
-- ... and user functions, whose named parameters a plain table may fill.
function M.call_user(x) return hedge.twice_h(x) end
function M.call_scaled(x, by) return hedge.scaled(x, { by = by }) end
function M.call_scaled_named(x, by) return hedge.scaled(x, hedge.named { by = by }) end
function M.call_by_name(name, x) return hedge.call(name, x) end
function M.missing() return hedge.no_such_function end

-- Functions as values, both ways.
function M.apply(f, x) return f(x) end
function M.get_imports() return hedge.imports end
function M.get_user() return hedge.twice_h end

-- Recursion through Lua and hedge: lrec(n) = n == 0 ? 0 : 1 + hrec(n - 1),
-- where the hedge function hrec calls lrec again.
function M.lrec(n)
  if n <= 0 then return 0 end
  return 1 + hedge.hrec(n - 1)
end
-- Plain Lua recursion without end.
local function forever(n) return 1 + forever(n + 1) end
function M.forever() return forever(0) end

-- A hedge function calling back into Lua from inside Lua.
function M.outer(a) return hedge.inner_h(a) end
function M.inner(a) return hedge.name(a) .. "!" end

-- print goes to hedge's output, not straight to the process.
function M.say(x) print("said", x); return true end

return M
