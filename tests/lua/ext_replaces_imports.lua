-- replaces the standard `imports` on purpose (a test double)
return { imports = function() return 0 end, _replaces = { "imports" } }
