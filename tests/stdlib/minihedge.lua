-- tests/stdlib/minihedge.lua: a small, slow evaluator for the subset of hedge
-- (SPEC.md) that the stdlib tests and docs examples use, on top of
-- mock_hedge.lua. It lets tests/stdlib/*.hedge and the examples of
-- docs/stdlib.md be checked with plain lua5.4 before the C core exists; the
-- real `make test` runs the same files through `hedge` itself.
--
-- Subset: partner/commodity/deal/loan/let/unit/fn declarations, rule/warn
-- (parsed, not checked), print (ignored); expressions with literals
-- (numbers with K/M/B/T and %, quantities, dates, strings, lists, records),
-- arithmetic, tolerant comparisons, and/or/not, if-then-else, forall/exists,
-- field access, calls with named arguments and comprehension arguments.

local mock = require("mock_hedge")
local format = string.format
local herror = mock.herror

local M = {}

---------------------------------------------------------------------------
-- Lexer
---------------------------------------------------------------------------

local KEYWORDS = {}
for w in ([[partner commodity deal loan unit let fn rule warn print import use extern
  load from scenario extends drop update test expect pass fail forall exists in where
  and or not if then else true false nil]]):gmatch("%a+") do KEYWORDS[w] = true end

local SCALE = { K = 1e3, M = 1e6, B = 1e9, T = 1e12 }

local function lex(src, file)
  local toks, i, line, n = {}, 1, 1, #src
  local function push(t, v, extra)
    local tok = { t = t, v = v, line = line }
    if extra then for k, x in pairs(extra) do tok[k] = x end end
    toks[#toks + 1] = tok
  end
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then line = line + 1; i = i + 1
    elseif c:match("%s") then i = i + 1
    elseif c == "#" then
      local j = src:find("\n", i, true) or n + 1
      i = j
    elseif src:match("^%d%d%d%d%-%d%d%-%d%d", i) and not src:match("^%d%d%d%d%-%d%d%-%d%d%d", i) then
      local y, m, d = src:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)", i)
      push("date", mock.mkdate(tonumber(y), tonumber(m), tonumber(d)))
      i = i + 10
    elseif src:match("^%d%d%d%d%-%d%d", i) and not src:match("^%d%d%d%d%-%d%d%d", i) then
      local y, m = src:match("^(%d%d%d%d)%-(%d%d)", i)
      push("date", mock.mkdate(tonumber(y), tonumber(m), 1))
      i = i + 7
    elseif c:match("%d") then
      local s, e = src:find("^[%d_]+%.?[%d_]*", i)
      local text = src:sub(s, e)
      local e2 = select(2, src:find("^[eE][+-]?%d+", e + 1))
      if e2 then text = text .. src:sub(e + 1, e2); e = e2 end
      local v = tonumber((text:gsub("_", "")))
      i = e + 1
      local suf = src:sub(i, i)
      if SCALE[suf] and not src:sub(i + 1, i + 1):match("[%w_]") then v = v * SCALE[suf]; i = i + 1 end
      if src:sub(i, i) == "%" then v = v / 100; i = i + 1 end
      -- a unit: the identifier right after the number (compound with / or *)
      local j = i
      while src:sub(j, j) == " " or src:sub(j, j) == "\t" do j = j + 1 end
      local w = src:match("^[%a_][%w_]*", j)
      local unit
      if w and not KEYWORDS[w] then
        local u = src:match("^[%a_][%w_]*[/*]?[%a_]?[%w_]*", j)
        u = u:gsub("[/*]$", "")
        unit = u
        i = j + #u
      end
      push("num", v, { unit = unit })
    elseif c:match("[%a_]") then
      local w = src:match("^[%a_][%w_]*", i)
      i = i + #w
      if KEYWORDS[w] then push("kw", w) else push("ident", w) end
    elseif c == "`" then
      local j = src:find("`", i + 1, true)
      push("ident", src:sub(i + 1, j - 1))
      i = j + 1
    elseif c == '"' then
      local j, buf = i + 1, {}
      while src:sub(j, j) ~= '"' do
        local ch = src:sub(j, j)
        if ch == "\\" then
          local e = src:sub(j + 1, j + 1)
          buf[#buf + 1] = ({ n = "\n", t = "\t", ['"'] = '"', ["\\"] = "\\" })[e] or e
          j = j + 2
        else buf[#buf + 1] = ch; j = j + 1 end
      end
      push("str", table.concat(buf))
      i = j + 1
    else
      local two = src:sub(i, i + 1)
      if two == "==" or two == "!=" or two == "<=" or two == ">=" then push("op", two); i = i + 2
      else push("op", c); i = i + 1 end
    end
  end
  push("eof", nil)
  return toks
end

---------------------------------------------------------------------------
-- Parser (to closures-free AST tables)
---------------------------------------------------------------------------

local P = {}
P.__index = P

local function parser(toks, file) return setmetatable({ toks = toks, pos = 1, file = file }, P) end
function P:peek(k) return self.toks[self.pos + (k or 0)] end
function P:next() local t = self.toks[self.pos]; self.pos = self.pos + 1; return t end
function P:is(t, v) local x = self:peek(); return x.t == t and (v == nil or x.v == v) end
function P:accept(t, v) if self:is(t, v) then return self:next() end end
function P:expect(t, v)
  local x = self:next()
  if x.t ~= t or (v ~= nil and x.v ~= v) then
    error(format("%s:%d: expected %s, got %s", self.file or "?", x.line, v or t, tostring(x.v or x.t)), 0)
  end
  return x
end

function P:expr()
  if self:is("kw", "forall") or self:is("kw", "exists") then
    local q = self:next().v
    local binds = self:bindings()
    local cond
    if self:accept("kw", "where") then cond = self:expr_noquant() end
    self:expect("op", ":")
    return { "quant", q, binds, cond, self:expr() }
  end
  return self:expr_noquant()
end

function P:bindings()
  local binds = {}
  repeat
    local name = self:expect("ident").v
    self:expect("kw", "in")
    binds[#binds + 1] = { name, self:binop(4) }
  until not self:accept("op", ",")
  return binds
end

function P:expr_noquant()
  if self:accept("kw", "if") then
    local c = self:expr()
    self:expect("kw", "then")
    local a = self:expr()
    self:expect("kw", "else")
    return { "if", c, a, self:expr() }
  end
  return self:binop(1)
end

-- precedence levels: 1 or, 2 and, 3 not, 4 comparison/in, 5 + -, 6 * /
local BIN = {
  { ["or"] = true }, { ["and"] = true }, nil,
  { ["=="] = true, ["!="] = true, ["<"] = true, ["<="] = true, [">"] = true, [">="] = true, ["in"] = true },
  { ["+"] = true, ["-"] = true }, { ["*"] = true, ["/"] = true },
}

function P:binop(level)
  if level == 3 then
    if self:accept("kw", "not") then return { "not", self:binop(3) } end
    return self:binop(4)
  end
  if level > 6 then return self:unary() end
  local lhs = self:binop(level + 1)
  while true do
    local t = self:peek()
    if (t.t == "op" or t.t == "kw") and BIN[level][t.v] then
      self:next()
      lhs = { "bin", t.v, lhs, self:binop(level + 1) }
      if level == 4 then return lhs end
    else
      return lhs
    end
  end
end

function P:unary()
  if self:accept("op", "-") then return { "neg", self:unary() } end
  return self:postfix(self:primary())
end

function P:postfix(e)
  while true do
    if self:accept("op", ".") then
      e = { "field", e, self:next().v }
    elseif self:is("op", "(") then
      self:next()
      e = self:call_args(e)
    elseif self:accept("op", "[") then
      local i = self:expr()
      self:expect("op", "]")
      e = { "index", e, i }
    else
      return e
    end
  end
end

function P:call_args(fn)
  -- comprehension argument: NAME in ...
  if self:is("ident") and self:peek(1).t == "kw" and self:peek(1).v == "in" then
    local binds = self:bindings()
    local cond, body
    if self:accept("kw", "where") then cond = self:expr() end
    if self:accept("op", ":") then body = self:expr() end
    self:expect("op", ")")
    return { "comp", fn, binds, cond, body }
  end
  local pos, named = {}, {}
  if not self:accept("op", ")") then
    repeat
      local t, t2 = self:peek(), self:peek(1)
      if (t.t == "ident" or t.t == "kw") and t2.t == "op" and t2.v == ":" then
        self:next(); self:next()
        named[#named + 1] = { t.v, self:expr() }
      else
        pos[#pos + 1] = self:expr()
      end
    until not self:accept("op", ",")
    self:expect("op", ")")
  end
  return { "call", fn, pos, named }
end

function P:record()
  self:expect("op", "{")
  local fields = {}
  while not self:accept("op", "}") do
    local k = self:next().v
    self:expect("op", ":")
    fields[#fields + 1] = { k, self:expr() }
    if not self:accept("op", ",") then self:expect("op", "}"); break end
  end
  return { "record", fields }
end

function P:primary()
  local t = self:next()
  if t.t == "num" then return { "num", t.v, t.unit, t.line } end
  if t.t == "str" then return { "const", t.v } end
  if t.t == "date" then return { "const", t.v } end
  if t.t == "ident" then return { "name", t.v, t.line } end
  if t.t == "kw" and t.v == "true" then return { "const", true } end
  if t.t == "kw" and t.v == "false" then return { "const", false } end
  if t.t == "kw" and t.v == "nil" then return { "const", nil } end
  if t.t == "op" and t.v == "(" then
    local e = self:expr()
    self:expect("op", ")")
    return e
  end
  if t.t == "op" and t.v == "[" then
    local items = {}
    while not self:accept("op", "]") do
      items[#items + 1] = self:expr()
      if not self:accept("op", ",") then self:expect("op", "]"); break end
    end
    return { "list", items }
  end
  if t.t == "op" and t.v == "{" then
    self.pos = self.pos - 1
    return self:record()
  end
  error(format("%s:%d: unexpected %s", self.file or "?", t.line, tostring(t.v or t.t)), 0)
end

---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------

local tol_eq = mock.tol_eq

local function is_entity(v) return mock.is_entity(v) end

local function values_equal(a, b)
  if type(a) == "number" and type(b) == "number" then return tol_eq(a, b) end
  if mock.is_qty(a) or mock.is_qty(b) then
    if type(a) == "number" and a == 0 then return b.value == 0 end
    if type(b) == "number" and b == 0 then return a.value == 0 end
    if not (mock.is_qty(a) and mock.is_qty(b)) then return false end
    if a.unit ~= b.unit then herror(format("cannot compare %s and %s", a.unit, b.unit)) end
    return tol_eq(a.value, b.value)
  end
  if getmetatable(a) == mock.DATE and getmetatable(b) == mock.DATE then return a == b end
  if type(a) == "table" and type(b) == "table" and not is_entity(a) and not is_entity(b) then
    for k, v in pairs(a) do if not values_equal(v, b[k]) then return false end end
    for k in pairs(b) do if a[k] == nil then return false end end
    return true
  end
  return a == b
end

local function compare(op, a, b)
  if op == "==" then return values_equal(a, b) end
  if op == "!=" then return not values_equal(a, b) end
  if type(a) == "number" and type(b) == "number" then
    local eq = tol_eq(a, b)
    if op == "<" then return a < b and not eq elseif op == "<=" then return a < b or eq
    elseif op == ">" then return a > b and not eq else return a > b or eq end
  end
  if type(a) == "string" and type(b) == "string" then
    if op == "<" then return a < b elseif op == "<=" then return a <= b
    elseif op == ">" then return a > b else return a >= b end
  end
  if op == "<" then return a < b elseif op == "<=" then return a <= b
  elseif op == ">" then return b < a else return b <= a end
end

local function arith(op, a, b)
  if op == "+" and type(a) == "string" and type(b) == "string" then return a .. b end
  if (op == "/") and type(a) == "number" and type(b) == "number" and b == 0 then herror("division by zero") end
  if op == "+" then return a + b elseif op == "-" then return a - b
  elseif op == "*" then return a * b else return a / b end
end

local Env = {}

local function list_of(v, what)
  if type(v) ~= "table" or mock.is_entity(v) then herror(what .. ": expected a list") end
  return v
end

local function numeric_sum(xs)
  if #xs == 0 then return 0 end
  local unit
  local vals = {}
  for i, x in ipairs(xs) do
    if mock.is_qty(x) then
      if unit and unit ~= x.unit then herror("sum: mixed units") end
      unit = x.unit; vals[i] = x.value
    else vals[i] = x end
  end
  return mock.mkqty(mock.neumaier(vals), unit)
end

local BUILTINS = {
  abs = function(x) if mock.is_qty(x) then return mock.mkqty(math.abs(x.value), x.unit) end return math.abs(x) end,
  round = function(x) return math.floor(x + 0.5) end,
  floor = function(x) return math.floor(x) end,
  ceil = function(x) return math.ceil(x) end,
  sqrt = math.sqrt,
  len = function(x) return #x end,
  count = function(xs) return #list_of(xs, "count") end,
  sum = function(xs) return numeric_sum(list_of(xs, "sum")) end,
  list = function(xs) return xs end,
  all = function(xs) for _, x in ipairs(xs) do if not x then return false end end return true end,
  any = function(xs) for _, x in ipairs(xs) do if x then return true end end return false end,
  year = function(d) return d.year end,
  month = function(d) return d.month end,
  min = function(xs) local m = xs[1]; for _, x in ipairs(xs) do if compare("<", x, m) then m = x end end return m end,
  max = function(xs) local m = xs[1]; for _, x in ipairs(xs) do if compare(">", x, m) then m = x end end return m end,
}

local function new_env()
  return { vars = {}, fns = {} }
end

local eval

local function lookup(env, scope, name, line)
  for s = #scope, 1, -1 do
    local v = scope[s]
    if v.name == name then return v.value end
  end
  if env.vars[name] ~= nil then return env.vars[name] end
  local e = mock.lookup(name)
  if e then return e end
  local W = mock.world
  if name == "partners" or name == "commodities" or name == "deals" or name == "loans" then
    return { table.unpack(W[name]) }
  end
  if env.fns[name] then return env.fns[name] end
  if BUILTINS[name] then return BUILTINS[name] end
  local h = mock.hedge[name]
  if type(h) == "function" then return h end
  herror(format("unknown name '%s'", name))
end

-- Iterates the cartesian product of the bindings, calling f(scope) for each.
local function each_binding(env, scope, binds, i, f)
  if i > #binds then return f() end
  local coll = eval(env, scope, binds[i][2])
  for _, v in ipairs(coll) do
    scope[#scope + 1] = { name = binds[i][1], value = v }
    local stop = each_binding(env, scope, binds, i + 1, f)
    scope[#scope] = nil
    if stop then return stop end
  end
end

local function call(fn, args, named)
  if #named > 0 then
    local t = setmetatable({}, mock.NAMED)
    for _, kv in ipairs(named) do t[kv[1]] = kv[2] end
    local n = (args.n or #args) + 1
    args[n], args.n = t, n
  end
  if type(fn) ~= "function" then herror("not a function") end
  return fn(table.unpack(args, 1, args.n or #args))
end

eval = function(env, scope, e)
  local k = e[1]
  if k == "num" then
    if e[3] then
      local factor, base = mock.parse_unit(e[3])
      if not factor then herror(format("unknown unit '%s'", base)) end
      return mock.mkqty(e[2] * factor, base)
    end
    return e[2]
  elseif k == "const" then return e[2]
  elseif k == "name" then return lookup(env, scope, e[2], e[3])
  elseif k == "list" then
    local out = {}
    for i, x in ipairs(e[2]) do out[i] = eval(env, scope, x) end
    return out
  elseif k == "record" then
    local out = {}
    for _, kv in ipairs(e[2]) do out[kv[1]] = eval(env, scope, kv[2]) end
    return out
  elseif k == "neg" then
    local v = eval(env, scope, e[2])
    return -v
  elseif k == "not" then return not eval(env, scope, e[2])
  elseif k == "bin" then
    local op = e[2]
    if op == "and" then return eval(env, scope, e[3]) and eval(env, scope, e[4]) end
    if op == "or" then return eval(env, scope, e[3]) or eval(env, scope, e[4]) end
    local a, b = eval(env, scope, e[3]), eval(env, scope, e[4])
    if op == "in" then
      for _, x in ipairs(b) do if values_equal(a, x) then return true end end
      return false
    end
    if op == "+" or op == "-" or op == "*" or op == "/" then return arith(op, a, b) end
    return compare(op, a, b)
  elseif k == "if" then
    if eval(env, scope, e[2]) then return eval(env, scope, e[3]) end
    return eval(env, scope, e[4])
  elseif k == "field" then
    local v = eval(env, scope, e[2])
    if v == nil then herror("field of nil") end
    return v[e[3]]
  elseif k == "index" then
    local v = eval(env, scope, e[2])
    return v[eval(env, scope, e[3]) + 1]
  elseif k == "call" then
    local fn = eval(env, scope, e[2])
    local args = { n = #e[3] }
    for i, a in ipairs(e[3]) do args[i] = eval(env, scope, a) end
    local named = {}
    for i, kv in ipairs(e[4]) do named[i] = { kv[1], eval(env, scope, kv[2]) } end
    return call(fn, args, named)
  elseif k == "comp" then
    local fn = eval(env, scope, e[2])
    local out = {}
    each_binding(env, scope, e[3], 1, function()
      if e[4] == nil or eval(env, scope, e[4]) then
        if e[5] then out[#out + 1] = eval(env, scope, e[5]) else out[#out + 1] = scope[#scope].value end
      end
    end)
    return call(fn, { out, n = 1 }, {})
  elseif k == "quant" then
    local q = e[2]
    local found = each_binding(env, scope, e[3], 1, function()
      if e[4] == nil or eval(env, scope, e[4]) then
        local v = eval(env, scope, e[5])
        if q == "forall" and not v then return "no" end
        if q == "exists" and v then return "yes" end
      end
    end)
    if q == "forall" then return found ~= "no" end
    return found == "yes"
  end
  error("minihedge: unknown node " .. tostring(k))
end

---------------------------------------------------------------------------
-- Declarations
---------------------------------------------------------------------------

local ENTITY_FIELDS = {
  deal = { exporter = "partner", importer = "partner", commodity = "commodity" },
  loan = { lender = "partner", borrower = "partner" },
}

local function entity_fields(env, kind, rec)
  local fields = {}
  for _, kv in ipairs(rec[2]) do
    local v = eval(env, {}, kv[2])
    local want = ENTITY_FIELDS[kind] and ENTITY_FIELDS[kind][kv[1]]
    if want and mock.entity_kind(v) ~= want then
      herror(format("%s field %s: unknown %s", kind, kv[1], want))
    end
    if (kv[1] == "date" or kv[1] == "start") and type(v) == "number" then v = mock.mkdate(v, 1, 1) end
    fields[kv[1]] = v
  end
  return fields
end

function M.load_string(env, src, file)
  local p = parser(lex(src, file), file)
  while not p:is("eof") do
    local t = p:next()
    if t.t ~= "kw" then error(format("%s:%d: expected a declaration, got %s", file, t.line, tostring(t.v)), 0) end
    local w = t.v
    if w == "partner" or w == "commodity" then
      repeat
        local name = p:expect("ident").v
        local fields = {}
        if p:is("op", "{") then fields = entity_fields(env, w, p:record()) end
        mock.add(w, name, fields)
      until not p:accept("op", ",")
    elseif w == "deal" or w == "loan" then
      local name = p:accept("ident")
      mock.add(w, name and name.v, entity_fields(env, w, p:record()))
    elseif w == "let" then
      local name = p:expect("ident").v
      p:expect("op", "=")
      env.vars[name] = eval(env, {}, p:expr())
    elseif w == "unit" then
      local name = p:expect("ident").v
      if p:accept("op", "=") then
        local q = eval(env, {}, p:expr())
        mock.declare_unit(name, q.value, q.unit)
      else
        mock.declare_unit(name, 1, name)
      end
    elseif w == "fn" then
      local name = p:expect("ident").v
      p:expect("op", "(")
      local params = {}
      while not p:accept("op", ")") do
        params[#params + 1] = p:expect("ident").v
        p:accept("op", ",")
      end
      p:expect("op", "=")
      local body = p:expr()
      env.fns[name] = function(...)
        local args = { ... }
        local scope = {}
        for i, pn in ipairs(params) do scope[i] = { name = pn, value = args[i] } end
        return eval(env, scope, body)
      end
    elseif w == "rule" or w == "warn" then
      p:expect("ident")
      p:accept("str")
      p:expect("op", ":")
      p:expr()
    elseif w == "print" then
      p:expr()
    else
      error(format("%s:%d: minihedge does not support '%s'", file, t.line, w), 0)
    end
  end
end

function M.eval_string(env, src)
  local p = parser(lex(src, "<eval>"), "<eval>")
  local e = p:expr()
  if not p:is("eof") then error("trailing input in expression: " .. src, 0) end
  return eval(env, {}, e)
end

-- Loads stdlib (via mock) and a file into a fresh world; returns env.
function M.fresh(stdlib_path)
  mock.install(stdlib_path)
  return new_env()
end

function M.load_file(env, path)
  local f = assert(io.open(path))
  local src = f:read("a")
  f:close()
  M.load_string(env, src, path)
end

---------------------------------------------------------------------------
-- Printing as `hedge eval` should (SPEC.md section 3, docs/stdlib.md):
-- plain numbers in the shortest round-trip digits, positional for decimal
-- exponents -7..20 (4400, not 4.4e+03); quantities scaled by K/M/B/T.
---------------------------------------------------------------------------

local function shortest(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" elseif x == -math.huge then return "-inf" end
  if x == 0 then return "0" end
  local s
  for p = 1, 17 do
    s = format("%." .. (p - 1) .. "e", x)
    if tonumber(s) == x then break end
  end
  local sign, d1, rest, ex = s:match("^(%-?)(%d)%.?(%d*)e([+-]%d+)$")
  local digits = (d1 .. rest):gsub("0+$", "")
  if digits == "" then digits = "0" end
  local e = tonumber(ex)
  if e >= 21 or e < -7 then
    local m = digits:sub(1, 1) .. (#digits > 1 and ("." .. digits:sub(2)) or "")
    return format("%s%se%s%d", sign, m, e >= 0 and "+" or "-", math.abs(e))
  end
  if e >= 0 then
    if #digits <= e + 1 then return sign .. digits .. string.rep("0", e + 1 - #digits) end
    return sign .. digits:sub(1, e + 1) .. "." .. digits:sub(e + 2)
  end
  return sign .. "0." .. string.rep("0", -e - 1) .. digits
end
M.shortest = shortest

function M.show(v)
  if v == nil then return "nil" end
  if type(v) == "boolean" then return tostring(v) end
  if type(v) == "number" then return shortest(v) end
  if type(v) == "string" then return format("%q", v) end
  if mock.is_entity(v) then return mock.name(v) end
  if mock.is_qty(v) then
    local a = math.abs(v.value)
    local suffix, div = "", 1
    if a >= 1e12 then suffix, div = "T", 1e12 elseif a >= 1e9 then suffix, div = "B", 1e9
    elseif a >= 1e6 then suffix, div = "M", 1e6 elseif a >= 1e3 then suffix, div = "K", 1e3 end
    -- as interp/value.c qty_print: the shortest form when it is at most 9
    -- characters, else 6 significant digits ("5.50679B USD")
    local x = v.value / div
    local text = shortest(x)
    if #text > 9 then text = format("%.6g", x) end
    return text .. suffix .. " " .. v.unit
  end
  if getmetatable(v) == mock.DATE then return tostring(v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = M.show(x) end
    return "[" .. table.concat(parts, ", ") .. "]"
  end
  return tostring(v)
end

return M
