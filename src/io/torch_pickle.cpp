// The restricted unpickler for torch.save's data.pkl (see torch_checkpoint.h for the format).
//
// Pickle is a stack machine (Python's Lib/pickletools.py documents every opcode). This
// interpreter implements only the opcodes that serialise plain data (ints, floats, strings,
// bytes, tuples, lists, dicts, memo references) plus the three that give pickle its power, each
// narrowed to what torch.save needs:
//   GLOBAL / STACK_GLOBAL  only the names in kAllowedGlobals; a global is a name, never imported;
//   REDUCE                 only on collections.OrderedDict (with no arguments) and the two
//                          tensor-rebuild functions, whose arguments are checked and turned into
//                          a tensor record;
//   BINPERSID              only torch's ('storage', <storage class>, key, location, numel);
//   BUILD                  only on a dict (the state dict's `_metadata` attribute: ignored).
// Everything else that could construct or call objects (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*,
// PERSID) is refused. Values live in an arena owned by the interpreter and are never walked
// recursively, so self-referencing containers cannot loop or leak, and memory stays linear in the
// size of the pickle.
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "core/error.h"
#include "io/torch_checkpoint.h"

namespace finetune {
namespace {

enum class Kind {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kTuple,
  kList,
  kDict,
  kGlobal,
  kStorage,
  kTensor
};

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "a bool";
    case Kind::kInt:
      return "an int";
    case Kind::kFloat:
      return "a float";
    case Kind::kString:
      return "a string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "a tuple";
    case Kind::kList:
      return "a list";
    case Kind::kDict:
      return "a dict";
    case Kind::kGlobal:
      return "a global";
    case Kind::kStorage:
      return "a storage";
    case Kind::kTensor:
      return "a tensor";
  }
  return "?";
}

// What a global stands for. Storage classes carry their element type.
enum class GlobalRole { kOrderedDict, kRebuildTensorV2, kRebuildParameter, kStorageClass };

struct AllowedGlobal {
  const char* module;
  const char* name;
  GlobalRole role;
  StDType dtype;  // for storage classes
};

// torch.save of a state dict names exactly these. Typed-storage class names are how PyTorch 2.x
// still records a storage's dtype in the persistent id.
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections", "OrderedDict", GlobalRole::kOrderedDict, StDType::F32},
    {"torch._utils", "_rebuild_tensor_v2", GlobalRole::kRebuildTensorV2, StDType::F32},
    {"torch._utils", "_rebuild_parameter", GlobalRole::kRebuildParameter, StDType::F32},
    {"torch", "FloatStorage", GlobalRole::kStorageClass, StDType::F32},
    {"torch", "HalfStorage", GlobalRole::kStorageClass, StDType::F16},
    {"torch", "BFloat16Storage", GlobalRole::kStorageClass, StDType::BF16},
    {"torch", "DoubleStorage", GlobalRole::kStorageClass, StDType::F64},
    {"torch", "LongStorage", GlobalRole::kStorageClass, StDType::I64},
    {"torch", "IntStorage", GlobalRole::kStorageClass, StDType::I32},
    {"torch", "ShortStorage", GlobalRole::kStorageClass, StDType::I16},
    {"torch", "CharStorage", GlobalRole::kStorageClass, StDType::I8},
    {"torch", "ByteStorage", GlobalRole::kStorageClass, StDType::U8},
    {"torch", "BoolStorage", GlobalRole::kStorageClass, StDType::BOOL},
};

struct Node {
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;                           // kString, kBytes
  std::vector<Node*> items;                   // kTuple, kList
  std::vector<std::pair<Node*, Node*>> dict;  // kDict, in insertion order
  const AllowedGlobal* global = nullptr;      // kGlobal
  TorchTensorRecord tensor;                   // kStorage (key, dtype, numel) and kTensor
};

class Interpreter {
 public:
  Interpreter(std::string_view data, const std::string& origin) : data_(data), origin_(origin) {}

  std::vector<std::pair<std::string, TorchTensorRecord>> run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(
        cat(origin_, ": refusing to load data.pkl at byte ", op_start_, ": ", what,
            ". finetune reads only the tensors torch.save writes and never runs code from a "
            "checkpoint; if this file is trustworthy, convert it to safetensors in Python"));
  }
  [[noreturn]] void truncated() const {
    throw Error(cat(origin_, ": data.pkl ends in the middle of an opcode at byte ", op_start_,
                    " (the file is truncated or damaged)"));
  }

  const uint8_t* take(size_t n) {
    if (data_.size() - pos_ < n) truncated();
    const uint8_t* p = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
    pos_ += n;
    return p;
  }
  uint64_t read_le(size_t n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
  }
  std::string read_bytes(uint64_t n) {
    if (n > data_.size() - pos_) truncated();
    return std::string(reinterpret_cast<const char*>(take(static_cast<size_t>(n))),
                       static_cast<size_t>(n));
  }
  std::string read_line() {  // GLOBAL's "module\nname\n" arguments
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) truncated();
    std::string line(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }

  Node* make(Kind kind) {
    arena_.push_back(std::make_unique<Node>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }
  void push(Node* node) { stack_.push_back(node); }
  Node* pop() {
    if (stack_.size() <= stack_floor()) fail("an opcode needs a value but the stack is empty");
    Node* n = stack_.back();
    stack_.pop_back();
    return n;
  }
  Node* top() {
    if (stack_.size() <= stack_floor()) fail("an opcode needs a value but the stack is empty");
    return stack_.back();
  }
  size_t stack_floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Node*> pop_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK but there is none");
    std::vector<Node*> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                             stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  Node* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(cat("memo entry ", index, " is read before it was written"));
    return it->second;
  }

  Node* make_int(int64_t v) {
    Node* n = make(Kind::kInt);
    n->integer = v;
    return n;
  }
  Node* make_tuple(std::vector<Node*> items) {
    Node* n = make(Kind::kTuple);
    n->items = std::move(items);
    return n;
  }

  void global(const std::string& module, const std::string& name);
  void reduce();
  void persistent_id();
  void set_items(Node* dict, const std::vector<Node*>& items);

  int64_t expect_int(Node* n, const char* what) {
    if (n->kind != Kind::kInt) fail(cat(what, " must be an int, found ", kind_name(n->kind)));
    return n->integer;
  }
  std::vector<int64_t> expect_int_tuple(Node* n, const char* what) {
    if (n->kind != Kind::kTuple)
      fail(cat(what, " must be a tuple of ints, found ", kind_name(n->kind)));
    std::vector<int64_t> values;
    for (Node* item : n->items) values.push_back(expect_int(item, what));
    return values;
  }

  std::string_view data_;
  const std::string& origin_;
  size_t pos_ = 0;
  size_t op_start_ = 0;
  std::vector<std::unique_ptr<Node>> arena_;
  std::vector<Node*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Node*> memo_;
};

void Interpreter::global(const std::string& module, const std::string& name) {
  for (const AllowedGlobal& g : kAllowedGlobals) {
    if (module == g.module && name == g.name) {
      Node* n = make(Kind::kGlobal);
      n->global = &g;
      push(n);
      return;
    }
  }
  fail(cat("it names the global '", module, ".", name,
           "', which is not one of the tensor-rebuilding functions a PyTorch state dict uses"));
}

void Interpreter::persistent_id() {
  // torch.save: ('storage', <storage class>, key: str, location: str, numel: int).
  Node* pid = pop();
  if (pid->kind != Kind::kTuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::kString ||
      pid->items[0]->text != "storage") {
    fail("a persistent id is not a ('storage', class, key, location, size) tuple");
  }
  Node* cls = pid->items[1];
  if (cls->kind != Kind::kGlobal || cls->global->role != GlobalRole::kStorageClass) {
    fail("a storage's type is not a torch storage class");
  }
  if (pid->items[2]->kind != Kind::kString || pid->items[3]->kind != Kind::kString) {
    fail("a storage's key and location must be strings");
  }
  const std::string& key = pid->items[2]->text;
  // Keys are decimal numbers in every torch version; anything else could name another entry.
  if (key.empty() || key.size() > 18 || key.find_first_not_of("0123456789") != std::string::npos) {
    fail(cat("storage key '", key, "' is not a number"));
  }
  const int64_t numel = expect_int(pid->items[4], "a storage's size");
  if (numel < 0) fail("a storage has a negative size");
  Node* storage = make(Kind::kStorage);
  storage->tensor.storage_key = key;
  storage->tensor.dtype = cls->global->dtype;
  storage->tensor.storage_numel = numel;
  push(storage);
}

void Interpreter::reduce() {
  Node* args = pop();
  Node* callable = pop();
  if (callable->kind != Kind::kGlobal) fail(cat("REDUCE calls ", kind_name(callable->kind)));
  if (args->kind != Kind::kTuple) fail("REDUCE's arguments are not a tuple");
  const AllowedGlobal& g = *callable->global;
  const std::vector<Node*>& a = args->items;
  switch (g.role) {
    case GlobalRole::kOrderedDict:
      if (!a.empty()) fail("collections.OrderedDict is called with arguments");
      push(make(Kind::kDict));
      return;
    case GlobalRole::kRebuildTensorV2: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() != 6 && a.size() != 7)
        fail(cat("_rebuild_tensor_v2 takes 6 or 7 arguments, got ", a.size()));
      if (a[0]->kind != Kind::kStorage)
        fail(cat("_rebuild_tensor_v2's storage is ", kind_name(a[0]->kind)));
      Node* t = make(Kind::kTensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = expect_int(a[1], "a tensor's storage offset");
      t->tensor.shape = expect_int_tuple(a[2], "a tensor's size");
      t->tensor.stride = expect_int_tuple(a[3], "a tensor's stride");
      if (t->tensor.shape.size() != t->tensor.stride.size())
        fail("a tensor's size and stride differ in length");
      if (a[4]->kind != Kind::kBool) fail("a tensor's requires_grad is not a bool");
      // Backward hooks would be callables; a saved tensor has none (an empty OrderedDict).
      if (a[5]->kind != Kind::kDict || !a[5]->dict.empty()) fail("a tensor has backward hooks");
      if (a.size() == 7 && a[6]->kind != Kind::kDict) fail("a tensor's metadata is not a dict");
      push(t);
      return;
    }
    case GlobalRole::kRebuildParameter:
      // (data, requires_grad, backward_hooks): an nn.Parameter is its tensor here.
      if (a.size() != 3 || a[0]->kind != Kind::kTensor || a[1]->kind != Kind::kBool ||
          a[2]->kind != Kind::kDict || !a[2]->dict.empty()) {
        fail("_rebuild_parameter's arguments are not (tensor, bool, {})");
      }
      push(a[0]);
      return;
    case GlobalRole::kStorageClass:
      fail(cat("REDUCE calls ", g.module, ".", g.name,
               ", a storage class that torch.save never calls"));
  }
}

void Interpreter::set_items(Node* dict, const std::vector<Node*>& items) {
  if (dict->kind != Kind::kDict) fail(cat("SETITEM(S) on ", kind_name(dict->kind)));
  if (items.size() % 2 != 0) fail("SETITEMS with an odd number of values");
  for (size_t i = 0; i < items.size(); i += 2) dict->dict.emplace_back(items[i], items[i + 1]);
}

std::vector<std::pair<std::string, TorchTensorRecord>> Interpreter::run() {
  for (;;) {
    op_start_ = pos_;
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80:  // PROTO
        if (read_le(1) > 5) fail("pickle protocol above 5");
        break;
      case 0x95:  // FRAME: an 8-byte length hint (protocol 4); the opcodes follow inline
        read_le(8);
        break;
      case '.': {  // STOP
        Node* result = pop();
        if (result->kind != Kind::kDict) {
          fail(cat("the checkpoint is ", kind_name(result->kind), ", not a state dict of tensors"));
        }
        std::vector<std::pair<std::string, TorchTensorRecord>> tensors;
        for (auto& [key, value] : result->dict) {
          if (key->kind != Kind::kString) fail(cat("a state dict key is ", kind_name(key->kind)));
          if (value->kind != Kind::kTensor) {
            fail(cat("state dict entry '", key->text, "' is ", kind_name(value->kind),
                     ", not a tensor"));
          }
          tensors.emplace_back(key->text, value->tensor);
        }
        return tensors;
      }
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '0':  // POP
        if (!stack_.empty() && stack_.size() > stack_floor()) {
          stack_.pop_back();
        } else {
          pop_mark();  // POP at a mark drops the mark, as pickle does
        }
        break;
      case '1':  // POP_MARK
        pop_mark();
        break;
      case '2':  // DUP
        push(top());
        break;
      case 'N':  // NONE
        push(make(Kind::kNone));
        break;
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        Node* n = make(Kind::kBool);
        n->boolean = op == 0x88;
        push(n);
        break;
      }
      case 'J':  // BININT: signed 32-bit
        push(make_int(static_cast<int32_t>(read_le(4))));
        break;
      case 'K':  // BININT1
        push(make_int(static_cast<int64_t>(read_le(1))));
        break;
      case 'M':  // BININT2
        push(make_int(static_cast<int64_t>(read_le(2))));
        break;
      case 0x8a: {  // LONG1: n-byte little-endian two's complement
        const uint64_t n = read_le(1);
        if (n > 8) fail(cat("an integer of ", n, " bytes"));
        uint64_t v = n == 0 ? 0 : read_le(static_cast<size_t>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        push(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        Node* n = make(Kind::kFloat);
        std::memcpy(&n->number, &bits, 8);
        push(n);
        break;
      }
      case 'X':    // BINUNICODE
      case 0x8c:   // SHORT_BINUNICODE
      case 0x8d:   // BINUNICODE8
      case 'T':    // BINSTRING (protocol 0-2 str)
      case 'U': {  // SHORT_BINSTRING
        const size_t width = op == 0x8c || op == 'U' ? 1 : op == 0x8d ? 8 : 4;
        Node* n = make(Kind::kString);
        n->text = read_bytes(read_le(width));
        push(n);
        break;
      }
      case 'B':     // BINBYTES
      case 'C':     // SHORT_BINBYTES
      case 0x8e: {  // BINBYTES8
        const size_t width = op == 'C' ? 1 : op == 0x8e ? 8 : 4;
        Node* n = make(Kind::kBytes);
        n->text = read_bytes(read_le(width));
        push(n);
        break;
      }
      case ')':  // EMPTY_TUPLE
        push(make_tuple({}));
        break;
      case 't':  // TUPLE
        push(make_tuple(pop_mark()));
        break;
      case 0x85:    // TUPLE1
      case 0x86:    // TUPLE2
      case 0x87: {  // TUPLE3
        const size_t n = static_cast<size_t>(op - 0x84);
        std::vector<Node*> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(make_tuple(std::move(items)));
        break;
      }
      case ']':  // EMPTY_LIST
        push(make(Kind::kList));
        break;
      case 'l': {  // LIST
        Node* n = make(Kind::kList);
        n->items = pop_mark();
        push(n);
        break;
      }
      case 'a': {  // APPEND
        Node* value = pop();
        Node* list = top();
        if (list->kind != Kind::kList) fail(cat("APPEND to ", kind_name(list->kind)));
        list->items.push_back(value);
        break;
      }
      case 'e': {  // APPENDS
        std::vector<Node*> values = pop_mark();
        Node* list = top();
        if (list->kind != Kind::kList) fail(cat("APPENDS to ", kind_name(list->kind)));
        list->items.insert(list->items.end(), values.begin(), values.end());
        break;
      }
      case '}':  // EMPTY_DICT
        push(make(Kind::kDict));
        break;
      case 'd': {  // DICT
        Node* n = make(Kind::kDict);
        set_items(n, pop_mark());
        push(n);
        break;
      }
      case 's': {  // SETITEM
        Node* value = pop();
        Node* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<Node*> items = pop_mark();
        set_items(top(), items);
        break;
      }
      case 'q':  // BINPUT
        memo_put(read_le(1));
        break;
      case 'r':  // LONG_BINPUT
        memo_put(read_le(4));
        break;
      case 0x94:  // MEMOIZE
        memo_put(memo_.size());
        break;
      case 'h':  // BINGET
        push(memo_get(read_le(1)));
        break;
      case 'j':  // LONG_BINGET
        push(memo_get(read_le(4)));
        break;
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = read_line();
        std::string name = read_line();
        global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL: module and name from the stack (protocol 4)
        Node* name = pop();
        Node* module = pop();
        if (module->kind != Kind::kString || name->kind != Kind::kString)
          fail("STACK_GLOBAL without two strings");
        global(module->text, name->text);
        break;
      }
      case 'R':  // REDUCE
        reduce();
        break;
      case 'Q':  // BINPERSID
        persistent_id();
        break;
      case 'b': {  // BUILD: the state dict's `_metadata` attribute, which loading does not need
        Node* state = pop();
        Node* target = top();
        if (target->kind != Kind::kDict) fail(cat("BUILD on ", kind_name(target->kind)));
        if (state->kind != Kind::kDict && state->kind != Kind::kNone &&
            state->kind != Kind::kTuple) {
          fail(cat("BUILD with ", kind_name(state->kind), " as state"));
        }
        break;
      }
      case 'i':
        fail("opcode INST (create an object of a named class) is not allowed");
      case 'o':
        fail("opcode OBJ (create an object) is not allowed");
      case 0x81:
        fail("opcode NEWOBJ (create an object) is not allowed");
      case 0x92:
        fail("opcode NEWOBJ_EX (create an object) is not allowed");
      case 0x82:
      case 0x83:
      case 0x84:
        fail("extension-registry opcodes (EXT1/2/4) are not allowed");
      case 'P':
        fail("opcode PERSID (text persistent id) is not allowed");
      default:
        fail(cat("opcode 0x", "0123456789abcdef"[op >> 4], "0123456789abcdef"[op & 15],
                 " is not one torch.save writes"));
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, TorchTensorRecord>> unpickle_state_dict(
    std::string_view pickle, const std::string& origin) {
  Interpreter interpreter(pickle, origin);
  return interpreter.run();
}

}  // namespace finetune
