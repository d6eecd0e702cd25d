-- `sum` is a C builtin: an extension cannot redefine it.
return { sum = function() return 0 end }
