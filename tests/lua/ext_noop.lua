return { noop = function() return 1 end }
