-- ext_errors.lua: errors inside Lua surface as hedge errors with the Lua
-- traceback and the hedge call site (docs/language.md, "Extensions and foreign functions"). Used by errors.hedge.
local M = {}

local function deep_helper(x) error("kaboom " .. x) end
local function middle(x) return deep_helper(x) + 1 end
function M.boom(x) return middle(x) end

function M.custom() hedge.error("custom failure: nothing imported") end
function M.custom_nested() local function inner() hedge.error("nested custom") end inner() end

function M.index_nil() local t = nil; return t.field end
function M.error_table() error({ code = 7 }) end
function M.error_tostring() error(setmetatable({}, { __tostring = function() return "tostring error" end })) end

-- A hedge error inside a hedge function called from Lua keeps its own text.
function M.call_failing() return hedge.sqrt("x") end
-- Lua may catch hedge errors with pcall and go on.
function M.caught()
  local ok, err = pcall(hedge.sqrt, "x")
  return (not ok) and tostring(err):find("sqrt") ~= nil
end
function M.caught_custom()
  local ok, err = pcall(hedge.error, "inner")
  return (not ok) and tostring(err) == "inner"
end

-- Errors in the standard library's argument checks read like hedge errors.
function M.bad_stdlib_call() return hedge.imports(42) end

return M
