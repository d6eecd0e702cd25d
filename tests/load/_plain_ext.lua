-- _plain_ext.lua: attribute columns of a plainly loaded file read from Lua
-- (used by plain_forms.hedge).
local M = {}
-- The deals' ids (a numeric attribute column no rule reads), in order.
function M.ids()
  local out = {}
  for i, d in ipairs(hedge.deals()) do out[i] = d.id end
  return out
end
-- A field of the n-th deal.
function M.nth_field(n, name) return hedge.deals()[n][name] end
return M
