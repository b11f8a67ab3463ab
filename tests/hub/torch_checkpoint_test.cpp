// The restricted unpickler and PyTorch zip checkpoints (io/torch_checkpoint.h), against files
// torch.save wrote (tools/make_bin_fixtures.py): every dtype, strided and shared views, the
// tiny-bert state dict equal to its safetensors twin, model loading through pytorch_model.bin;
// and refusals: pickles that would run code, pickles outside the state-dict shape, damaged and
// truncated archives, views that leave their storage. Nothing may crash; every refusal is an
// Error that says why.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"
#include "io/tensor_source.h"
#include "io/torch_checkpoint.h"
#include "model/model.h"
#include "test_paths.h"
#include "zip_builder.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;

fs::path bin_fixtures() {
  return testing::fixtures_dir() / "torch-bin";
}

// Expects `fn` to throw Error whose message contains `needle`.
template <typename Fn>
void expect_error(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an Error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// --- pickle pieces (protocol 2), for crafted data.pkl files --------------------------------------

std::string uni(const std::string& s) {
  std::string out = "X";
  testing::put32(out, static_cast<uint32_t>(s.size()));
  return out + s;
}
std::string glob(const std::string& module, const std::string& name) {
  return "c" + module + "\n" + name + "\n";
}
std::string int1(int v) {
  return std::string("K") + static_cast<char>(v);
}
std::string tuple_of(const std::vector<int>& values) {
  std::string out = "(";
  for (int v : values) out += int1(v);
  return out + "t";
}
// _rebuild_tensor_v2(('storage', cls, key, 'cpu', numel), offset, size, stride, False,
// OrderedDict())
std::string tensor_op(const std::string& storage_class, const std::string& key, int numel,
                      int offset, const std::vector<int>& size, const std::vector<int>& stride) {
  return glob("torch._utils", "_rebuild_tensor_v2") + "((" + uni("storage") +
         glob("torch", storage_class) + uni(key) + uni("cpu") + int1(numel) + "tQ" + int1(offset) +
         tuple_of(size) + tuple_of(stride) + "\x89" + glob("collections", "OrderedDict") + ")RtR";
}
std::string state_dict(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = "\x80\x02}(";
  for (const auto& [name, value] : items) out += uni(name) + value;
  return out + "u.";
}

std::string floats(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

class TorchCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("torch-bin"); }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // A torch-layout archive with the given pickle and storages.
  fs::path archive(const std::string& pickle,
                   const std::vector<std::pair<std::string, std::string>>& storages = {}) {
    std::vector<testing::ZipInput> entries{{"archive/data.pkl", pickle},
                                           {"archive/byteorder", "little"}};
    for (const auto& [key, data] : storages) entries.push_back({"archive/data/" + key, data});
    return write("crafted.bin", testing::build_zip(entries));
  }

  fs::path dir_;
};

TEST_F(TorchCheckpointTest, ReadsEveryDtypeAndViewAsTorchSavedThem) {
  TorchCheckpoint file(bin_fixtures() / "dtypes.bin");
  Json expected = parse_json_file(bin_fixtures() / "dtypes.json");
  ASSERT_EQ(file.tensors().size(), expected.size());
  const std::map<std::string, StDType> dtypes = {{"float32", StDType::F32},
                                                 {"float16", StDType::F16},
                                                 {"bfloat16", StDType::BF16},
                                                 {"float64", StDType::F64},
                                                 {"int64", StDType::I64}};
  for (const SourceTensor& t : file.tensors()) {
    SCOPED_TRACE(t.name);
    const Json& want = expected.at(t.name);
    EXPECT_EQ(t.dtype, dtypes.at(want["dtype"].get<std::string>()));
    EXPECT_EQ(t.shape, want["shape"].get<std::vector<int64_t>>());
    if (t.dtype == StDType::I64) {
      std::vector<float> out(static_cast<size_t>(t.numel()));
      expect_error([&] { file.read_as_f32(t, out.data(), t.numel()); }, "dtype I64");
      continue;
    }
    std::vector<float> out(static_cast<size_t>(t.numel()));
    file.read_as_f32(t, out.data(), t.numel());
    std::vector<double> values = want["values"].get<std::vector<double>>();
    ASSERT_EQ(values.size(), out.size());
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], static_cast<float>(values[i])) << i;
  }
  // The transposed tensor really is a strided view, and the two views share one storage.
  const auto& tensors = file.tensors();
  auto find = [&](const std::string& n) {
    return *std::find_if(tensors.begin(), tensors.end(),
                         [&](const SourceTensor& t) { return t.name == n; });
  };
  EXPECT_EQ(file.record(find("transposed")).stride, (std::vector<int64_t>{1, 7}));
  EXPECT_EQ(file.record(find("view_a")).storage_key, file.record(find("view_b")).storage_key);
  EXPECT_EQ(file.record(find("view_b")).offset, 10);
}

TEST_F(TorchCheckpointTest, TinyBertBinHoldsTheSameTensorsAsItsSafetensorsTwin) {
  auto bin = open_tensor_source(testing::fixtures_dir() / "tiny-bert-bin" / "pytorch_model.bin");
  auto st = open_tensor_source(testing::fixtures_dir() / "tiny-bert" / "model.safetensors");
  ASSERT_EQ(bin->tensors().size(), st->tensors().size());
  for (size_t i = 0; i < st->tensors().size(); ++i) {
    const SourceTensor& a = bin->tensors()[i];
    const SourceTensor& b = st->tensors()[i];
    ASSERT_EQ(a.name, b.name);
    EXPECT_EQ(a.dtype, b.dtype) << a.name;
    ASSERT_EQ(a.shape, b.shape) << a.name;
    std::vector<float> x(static_cast<size_t>(a.numel())), y(x.size());
    bin->read_as_f32(a, x.data(), a.numel());
    st->read_as_f32(b, y.data(), b.numel());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * 4), 0) << a.name;
  }
}

TEST_F(TorchCheckpointTest, ModelLoadsFromPytorchModelBinExactlyAsFromSafetensors) {
  Model from_bin = load_model(testing::fixtures_dir() / "tiny-bert-bin", 1);
  Model from_st = load_model(testing::fixtures_dir() / "tiny-bert", 1);
  ASSERT_EQ(from_bin.store.count(), from_st.store.count());
  EXPECT_EQ(std::memcmp(from_bin.store.flat().data, from_st.store.flat().data,
                        static_cast<size_t>(from_st.store.count()) * 4),
            0);
  EXPECT_EQ(from_bin.load_report.fresh, from_st.load_report.fresh);
  EXPECT_EQ(from_bin.load_report.ignored, from_st.load_report.ignored);
}

TEST_F(TorchCheckpointTest, FindsWeightsInTheOrderTransformersPrefers) {
  fs::path d = dir_ / "model";
  fs::create_directories(d);
  std::ofstream(d / "pytorch_model.bin") << "x";
  EXPECT_EQ(find_weight_files(d), std::vector<fs::path>{d / "pytorch_model.bin"});
  std::ofstream(d / "model.safetensors") << "x";
  EXPECT_EQ(find_weight_files(d), std::vector<fs::path>{d / "model.safetensors"});
  fs::remove(d / "model.safetensors");
  fs::remove(d / "pytorch_model.bin");
  std::ofstream(d / "pytorch_model.bin.index.json")
      << R"({"weight_map": {"a": "pytorch_model-00002-of-00002.bin",
      "b": "pytorch_model-00001-of-00002.bin"}})";
  EXPECT_EQ(find_weight_files(d), (std::vector<fs::path>{d / "pytorch_model-00001-of-00002.bin",
                                                         d / "pytorch_model-00002-of-00002.bin"}));
  fs::remove(d / "pytorch_model.bin.index.json");
  expect_error([&] { find_weight_files(d); }, "pytorch_model.bin");
}

TEST_F(TorchCheckpointTest, RefusesPicklesThatWouldRunCode) {
  const std::pair<const char*, const char*> cases[] = {
      {"malicious_os_system.bin", "'os.system'"},
      {"malicious_posix_system.bin", "'posix.system'"},
      {"malicious_eval.bin", "'builtins.eval'"},
      {"malicious_inst.bin", "INST"},
      {"malicious_persistent_id.bin", "persistent id"},
  };
  for (const auto& [file, needle_text] : cases) {
    // Plain variables: clang before 16 cannot capture structured bindings in a lambda.
    const char* name = file;
    const char* needle = needle_text;
    SCOPED_TRACE(name);
    expect_error([&] { open_tensor_source(bin_fixtures() / name); }, needle);
    expect_error([&] { open_tensor_source(bin_fixtures() / name); }, "never runs code");
  }
}

TEST_F(TorchCheckpointTest, RefusesOpcodesAndCallsOutsideAStateDict) {
  const std::string f32 = floats({1, 2, 3, 4});
  const std::pair<std::string, std::string> cases[] = {
      {"\x80\x02" + glob("builtins", "getattr") + ".", "'builtins.getattr'"},
      {"\x80\x02" + uni("torch._utils") + uni("_rebuild_tensor") + "\x93.",
       "'torch._utils._rebuild_tensor'"},
      {"\x80\x02" + glob("collections", "OrderedDict") + "(" + int1(1) + "tR.",
       "called with arguments"},
      {"\x80\x02" + glob("torch", "FloatStorage") + ")R.", "storage class"},
      {"\x80\x02" + glob("collections", "OrderedDict") + ")\x81.", "NEWOBJ"},
      {"\x80\x02" + glob("collections", "OrderedDict") + "o.", "OBJ"},
      {"\x80\x02\x82\x01.", "extension"},
      {"\x80\x02]" + uni("x") + "a.", "a list, not a state dict"},
      {"\x80\x02}" + uni("x") + int1(3) + "s.", "'x' is an int, not a tensor"},
      {"\x80\x02}" + int1(3) + uni("x") + "s.", "key is an int"},
      {"\x80\x02h\x05.", "memo entry 5"},
      {"\x80\x02.", "stack is empty"},
      {"\x80\x02t.", "MARK"},
      {"\x80\x02\x8a\x09" + std::string(9, '\x01') + ".", "integer of 9 bytes"},
      {"\x80\x02\xff.", "opcode 0xff"},
      {"\x80\x02X\xff\xff\xff\x7f", "truncated"},
      {"\x80\x02", "truncated"},
      {"", "truncated"},
      {state_dict({{"w", glob("torch._utils", "_rebuild_tensor_v2") + "((" + uni("storage") +
                             glob("torch", "FloatStorage") + uni("0") + uni("cpu") + int1(4) +
                             "tQ" + int1(0) + tuple_of({4}) + tuple_of({1}) + "\x89(" +
                             uni("hook") + int1(1) + "dtR"}}),
       "backward hooks"},
      {state_dict({{"w", tensor_op("FloatStorage", "../x", 4, 0, {2}, {1})}}), "not a number"},
  };
  for (const auto& [pickle, needle] : cases) {
    SCOPED_TRACE(needle);
    fs::path path = archive(pickle, {{"0", f32}});
    expect_error([&] { TorchCheckpoint file(path); }, needle);
  }
}

TEST_F(TorchCheckpointTest, ChecksViewsAndStoragesAgainstTheArchive) {
  const std::string f32 = floats({1, 2, 3, 4, 5, 6});
  auto open = [&](const std::string& pickle,
                  const std::vector<std::pair<std::string, std::string>>& storages) {
    fs::path path = archive(pickle, storages);
    TorchCheckpoint file(path);
    return file.tensors().size();
  };
  // A good one first, so the refusals below are about the one thing each changes.
  EXPECT_EQ(
      open(state_dict({{"w", tensor_op("FloatStorage", "0", 6, 0, {2, 3}, {3, 1})}}), {{"0", f32}}),
      1u);
  expect_error(
      [&] {
        open(state_dict({{"w", tensor_op("FloatStorage", "0", 6, 1, {2, 3}, {3, 1})}}),
             {{"0", f32}});
      },
      "reaches element 6 of a storage of 6");
  expect_error(
      [&] {
        open(state_dict({{"w", tensor_op("FloatStorage", "0", 6, 0, {3, 3}, {3, 1})}}),
             {{"0", f32}});
      },
      "reaches element");
  expect_error(
      [&] {
        open(state_dict({{"w", tensor_op("FloatStorage", "0", 8, 0, {2, 3}, {3, 1})}}),
             {{"0", f32}});
      },
      "has 24 bytes but the pickle declares 8");
  expect_error(
      [&] {
        open(state_dict({{"w", tensor_op("FloatStorage", "1", 6, 0, {2, 3}, {3, 1})}}),
             {{"0", f32}});
      },
      "data/1 is missing");
  expect_error(
      [&] {
        open(state_dict({{"a", tensor_op("FloatStorage", "0", 6, 0, {6}, {1})},
                         {"b", tensor_op("HalfStorage", "0", 6, 0, {6}, {1})}}),
             {{"0", f32}});
      },
      "two different types");
  expect_error(
      [&] {
        open(state_dict({{"w", tensor_op("FloatStorage", "0", 6, 0, {2}, {1, 1})}}), {{"0", f32}});
      },
      "size and stride differ");
  // Zero-sized tensors never touch the storage.
  EXPECT_EQ(
      open(state_dict({{"w", tensor_op("FloatStorage", "0", 0, 0, {0, 3}, {3, 1})}}), {{"0", ""}}),
      1u);
}

TEST_F(TorchCheckpointTest, RefusesArchivesThatAreNotTorchCheckpoints) {
  expect_error([&] { open_tensor_source(write("legacy.bin", "\x80\x02}q\x00.")); },
               "before PyTorch 1.6");
  expect_error([&] { open_tensor_source(write("empty.bin", "")); }, "not a zip-format");
  expect_error([&] { open_tensor_source(write("model.onnx", "x")); }, "unknown checkpoint format");
  expect_error(
      [&] {
        TorchCheckpoint f(write("nopkl.bin", testing::build_zip({{"archive/version", "3"}})));
      },
      "without <name>/data.pkl");
  expect_error(
      [&] {
        TorchCheckpoint f(
            write("deflated.bin", testing::build_zip({{"archive/data.pkl", "\x80\x02}.", 8}})));
      },
      "compressed (method 8)");
  expect_error(
      [&] {
        TorchCheckpoint f(write("big.bin", testing::build_zip({{"archive/data.pkl", state_dict({})},
                                                               {"archive/byteorder", "big"}})));
      },
      "big-endian");
  expect_error(
      [&] {
        TorchCheckpoint f(write("twice.bin", testing::build_zip({{"a/data.pkl", "\x80\x02}."},
                                                                 {"b/data.pkl", "\x80\x02}."}})));
      },
      "more than one data.pkl");
  // An empty state dict is a checkpoint with no tensors, not an error.
  TorchCheckpoint empty(
      write("empty_dict.bin", testing::build_zip({{"archive/data.pkl", "\x80\x02}."}})));
  EXPECT_TRUE(empty.tensors().empty());
}

TEST_F(TorchCheckpointTest, RefusesDamagedZipStructuresNamingTheFileAndTheDamage) {
  // Each archive is good but for one thing; the refusal names the file and that thing.
  auto expect_refused = [&](const std::string& file, const std::string& bytes,
                            const std::string& needle) {
    SCOPED_TRACE(file);
    const fs::path path = write(file, bytes);
    expect_error([&] { TorchCheckpoint checkpoint(path); }, path.string());
    expect_error([&] { TorchCheckpoint checkpoint(path); }, needle);
  };
  const std::string pickle = "\x80\x02}.";
  testing::ZipInput bad_crc{"archive/data.pkl", pickle};
  bad_crc.crc_xor = 1;
  expect_refused("crc.bin", testing::build_zip({bad_crc}),
                 "zip entry 'archive/data.pkl' is damaged (libzip: CRC error)");
  expect_refused("twice.bin",
                 testing::build_zip({{"archive/data.pkl", pickle}, {"archive/data.pkl", pickle}}),
                 "two entries have the same name");
  testing::ZipInput encrypted{"archive/data.pkl", pickle};
  encrypted.flags = 1;
  expect_refused("encrypted.bin", testing::build_zip({encrypted}),
                 "entry 'archive/data.pkl' is encrypted");
  testing::ZipInput sizes{"archive/data.pkl", pickle};
  sizes.size = 1 << 30;  // a stored entry that claims to unpack to 1 GiB
  expect_refused("sizes.bin", testing::build_zip({sizes}), "different stored and original sizes");
  std::string local_differs = testing::build_zip({{"archive/data.pkl", pickle}});
  local_differs[8] = 8;  // the local header's method: deflate, the central header's: stored
  expect_refused("local.bin", local_differs, "Zip archive inconsistent");
  std::string outside = testing::build_zip({{"archive/data.pkl", pickle}});
  outside[outside.size() - 3] = 0x7F;  // the central directory's offset, 2 GiB past the end
  expect_refused("outside.bin", outside, "not a readable zip archive");
  expect_refused("garbage.bin", "PK\3\4" + std::string(100, 'x'), "Not a zip archive");
}

TEST_F(TorchCheckpointTest, EntriesThatOverlapCannotHoldMoreThanTheFile) {
  // Entry b's header and bytes lie inside entry a's bytes, with every CRC right: each entry reads
  // back, but reading both would keep more bytes than the file has, which no honest archive needs
  // (many such entries would copy one file's bytes thousands of times over).
  const testing::ZipInput b{"archive/data/1", std::string(4000, 'b')};
  const testing::ZipInput a{"archive/data/0", testing::local_header(b) + b.data};
  const std::string a_local = testing::local_header(a);
  const std::string central = testing::central_header(a, 0) +
                              testing::central_header(b, static_cast<uint32_t>(a_local.size()));
  const std::string bytes = a_local + a.data + central +
                            testing::end_record(2, central.size(), a_local.size() + a.data.size());
  const fs::path path = write("overlap.bin", bytes);
  {
    ZipArchive archive(path);
    EXPECT_EQ(archive.read(*archive.find("archive/data/1")), b.data);
    expect_error([&] { archive.read(*archive.find("archive/data/0")); },
                 "zip entry 'archive/data/0' is damaged (it overlaps other entries");
  }
  ZipArchive archive(path);  // either entry alone is fine
  EXPECT_EQ(archive.read(*archive.find("archive/data/0")), a.data);
}

// Reads every tensor of a checkpoint (so every storage CRC is checked).
void read_all(const TensorSource& source) {
  for (const SourceTensor& t : source.tensors()) {
    if (t.dtype == StDType::I64) continue;
    std::vector<float> out(static_cast<size_t>(t.numel()));
    source.read_as_f32(t, out.data(), t.numel());
  }
}

TEST_F(TorchCheckpointTest, TruncatedArchivesAreRefusedAtEveryLength) {
  const std::string good =
      read_file(testing::fixtures_dir() / "tiny-bert-bin" / "pytorch_model.bin");
  for (size_t cut = 0; cut < good.size(); cut += 97) {
    fs::path path = write("cut.bin", good.substr(0, cut));
    try {
      auto source = open_tensor_source(path);
      read_all(*source);
      ADD_FAILURE() << "a file cut to " << cut << " of " << good.size() << " bytes was accepted";
    } catch (const Error&) {
    }
  }
}

TEST_F(TorchCheckpointTest, DamagedBytesAreRefusedOrHarmless) {
  const std::string good =
      read_file(testing::fixtures_dir() / "tiny-bert-bin" / "pytorch_model.bin");
  auto reference =
      open_tensor_source(testing::fixtures_dir() / "tiny-bert-bin" / "pytorch_model.bin");
  std::mt19937 rng(1234);
  int refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bad = good;
    const size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ static_cast<char>(1 + rng() % 255));
    fs::path path = write("flip.bin", bad);
    try {
      auto source = open_tensor_source(path);
      // Accepted: the flip hit bytes nothing reads (torch's alignment padding, timestamps); the
      // tensors must then be exactly the original ones.
      ASSERT_EQ(source->tensors().size(), reference->tensors().size()) << "flip at " << at;
      for (size_t i = 0; i < source->tensors().size(); ++i) {
        const SourceTensor& t = source->tensors()[i];
        ASSERT_EQ(t.name, reference->tensors()[i].name);
        ASSERT_EQ(t.shape, reference->tensors()[i].shape);
        std::vector<float> x(static_cast<size_t>(t.numel())), y(x.size());
        source->read_as_f32(t, x.data(), t.numel());
        reference->read_as_f32(reference->tensors()[i], y.data(), t.numel());
        ASSERT_EQ(std::memcmp(x.data(), y.data(), x.size() * 4), 0)
            << "flip at " << at << " changed " << t.name;
      }
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 300);  // nearly every byte of the file is data, a header, or the pickle
}

TEST_F(TorchCheckpointTest, MutatedPicklesAreRefusedOrReadNeverCrash) {
  // The archive's CRC stops damaged bytes before they reach the unpickler; here they reach it
  // directly: every truncation, and random byte changes, of a real state-dict pickle.
  ZipArchive archive(testing::fixtures_dir() / "tiny-bert-bin" / "pytorch_model.bin");
  const std::string pickle(archive.read(*archive.find("pytorch_model/data.pkl")));
  ASSERT_EQ(unpickle_state_dict(pickle, "good").size(), 41u);
  for (size_t cut = 0; cut < pickle.size(); cut += 7) {
    EXPECT_THROW(unpickle_state_dict(pickle.substr(0, cut), "cut"), Error) << cut;
  }
  std::mt19937 rng(99);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = pickle;
    for (int k = 0; k < 1 + trial % 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng() % 256);
    try {
      unpickle_state_dict(bad, "mutated");
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace finetune
