return { which = function() return "first" end, only_a = function() return "a" end }
