-- A Lua extension must return a table of functions.
return "not a table"
