-- ext_sandbox.lua: what an extension may not do without --allow-io
-- (docs/language.md, "Extensions and foreign functions"). Used by sandbox.hedge.
local M = {}

function M.absent()
  local missing = {}
  local function check(name, v) if v ~= nil then missing[#missing + 1] = name end end
  check("io", io)
  check("require", require)
  check("package", package)
  check("dofile", dofile)
  check("loadfile", loadfile)
  check("debug", debug)
  check("os.execute", os.execute)
  check("os.getenv", os.getenv)
  check("os.remove", os.remove)
  check("os.exit", os.exit)
  return missing          -- [] when the sandbox holds
end

function M.os_ok() return type(os.time()) == "number" and type(os.clock()) == "number" and type(os.date("%Y")) == "string" end
function M.libs_ok()
  return string.format("%d", 42) == "42" and table.concat({ "a", "b" }) == "ab" and math.floor(2.5) == 2
     and utf8.char(72) == "H" and coroutine.wrap(function() coroutine.yield(7) end)() == 7
end

-- Text chunks load; binary chunks are refused even when asked for.
function M.load_text() return load("return 1 + 1")() end
function M.load_binary()
  local f, err = load(string.dump(function() return 1 end), "bin", "b")
  return f == nil and err ~= nil and err:find("binary") ~= nil
end
function M.read_file() return io.open("/etc/passwd"):read("a") end
function M.run_command() return os.execute("true") end
function M.use_require() return require("os") end

return M
