-- A runtime error while the chunk runs.
local M = {}
local x = nil
x.y = 1
return M
