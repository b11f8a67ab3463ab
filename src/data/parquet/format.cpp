// Parsing Parquet's FileMetaData and PageHeader from Thrift compact bytes (see format.h).
//
// Field ids are those of parquet-format's parquet.thrift. Each struct is read field by field:
// known ids are checked for their wire type and read, unknown ids are skipped (new writers add
// fields; old readers must ignore them), and required fields that never appeared are reported.
#include "data/parquet/format.h"

#include "core/error.h"
#include "data/parquet/thrift.h"

namespace finetune::parquet {

std::string physical_type_name(int32_t type) {
  switch (static_cast<PhysicalType>(type)) {
    case PhysicalType::kBoolean:
      return "BOOLEAN";
    case PhysicalType::kInt32:
      return "INT32";
    case PhysicalType::kInt64:
      return "INT64";
    case PhysicalType::kInt96:
      return "INT96";
    case PhysicalType::kFloat:
      return "FLOAT";
    case PhysicalType::kDouble:
      return "DOUBLE";
    case PhysicalType::kByteArray:
      return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray:
      return "FIXED_LEN_BYTE_ARRAY";
  }
  return cat("physical type ", type);
}

std::string encoding_name(int32_t encoding) {
  switch (static_cast<Encoding>(encoding)) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return cat("encoding ", encoding);
}

std::string codec_name(int32_t codec) {
  switch (static_cast<Codec>(codec)) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kLzo:
      return "LZO";
    case Codec::kBrotli:
      return "BROTLI";
    case Codec::kLz4:
      return "LZ4";
    case Codec::kZstd:
      return "ZSTD";
    case Codec::kLz4Raw:
      return "LZ4_RAW";
  }
  return cat("codec ", codec);
}

namespace {

// Reads the fields of one struct, handing each header to `on_field`; fields it does not take
// (returns false) are skipped. `depth` bounds recursion through nested structs.
template <typename OnField>
void read_struct(CompactReader& reader, int depth, OnField&& on_field) {
  if (depth > CompactReader::kMaxDepth) reader.fail("structures nested too deeply");
  int16_t last_id = 0;
  for (;;) {
    FieldHeader field = reader.read_field_header(last_id);
    if (field.type == WireType::kStop) return;
    if (on_field(field)) continue;
    if (field.type != WireType::kBoolTrue && field.type != WireType::kBoolFalse) {
      reader.skip(field.type, depth + 1);
    }
  }
}

// Reads a list field whose elements have wire type `element`, calling `on_element` per element.
template <typename OnElement>
void read_list(CompactReader& reader, const FieldHeader& field, WireType element, const char* name,
               OnElement&& on_element) {
  reader.expect_type(field, WireType::kList, name);
  ListHeader list = reader.read_list_header();
  if (list.element_type != element) {
    reader.fail(cat("list '", name, "' has elements of wire type ",
                    wire_type_name(list.element_type), ", expected ", wire_type_name(element)));
  }
  for (uint32_t i = 0; i < list.size; ++i) on_element();
}

// Tracks which required fields were seen, to report the first missing one by name.
class Required {
 public:
  void saw(int id) { seen_ |= uint32_t{1} << id; }
  void check(CompactReader& reader, const char* what,
             std::initializer_list<std::pair<int, const char*>> fields) const {
    for (const auto& [id, name] : fields) {
      if ((seen_ & (uint32_t{1} << id)) == 0) {
        reader.fail(cat(what, " lacks its required field '", name, "'"));
      }
    }
  }

 private:
  uint32_t seen_ = 0;
};

SchemaElement read_schema_element(CompactReader& r, int depth) {
  SchemaElement element;
  Required required;
  read_struct(r, depth, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        element.type = r.field_i32(f, "type");
        return true;
      case 2:
        element.type_length = r.field_i32(f, "type_length");
        return true;
      case 3:
        element.repetition = r.field_i32(f, "repetition_type");
        return true;
      case 4:
        element.name = r.field_binary(f, "name");
        required.saw(4);
        return true;
      case 5:
        element.num_children = r.field_i32(f, "num_children");
        return true;
      case 6:
        element.converted_type = r.field_i32(f, "converted_type");
        return true;
      case 10:  // LogicalType is a union: field 1 (StringType) marks a UTF-8 string.
        r.expect_type(f, WireType::kStruct, "logicalType");
        read_struct(r, depth + 1, [&](const FieldHeader& u) {
          if (u.id == 1) element.logical_string = true;
          return false;  // skip the (empty) member struct itself
        });
        return true;
      default:
        return false;
    }
  });
  required.check(r, "a schema element", {{4, "name"}});
  return element;
}

ColumnMetaData read_column_metadata(CompactReader& r, int depth) {
  ColumnMetaData meta;
  Required required;
  read_struct(r, depth, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        meta.type = r.field_i32(f, "type");
        break;
      case 2:
        read_list(r, f, WireType::kI32, "encodings", [&] { r.read_i32(); });
        break;
      case 3:
        read_list(r, f, WireType::kBinary, "path_in_schema",
                  [&] { meta.path_in_schema.emplace_back(r.read_binary()); });
        break;
      case 4:
        meta.codec = r.field_i32(f, "codec");
        break;
      case 5:
        meta.num_values = r.field_i64(f, "num_values");
        break;
      case 6:
        meta.total_uncompressed_size = r.field_i64(f, "total_uncompressed_size");
        break;
      case 7:
        meta.total_compressed_size = r.field_i64(f, "total_compressed_size");
        break;
      case 9:
        meta.data_page_offset = r.field_i64(f, "data_page_offset");
        break;
      case 11:
        meta.dictionary_page_offset = r.field_i64(f, "dictionary_page_offset");
        break;
      default:
        return false;
    }
    required.saw(f.id);
    return true;
  });
  required.check(r, "column metadata",
                 {{1, "type"},
                  {2, "encodings"},
                  {3, "path_in_schema"},
                  {4, "codec"},
                  {5, "num_values"},
                  {6, "total_uncompressed_size"},
                  {7, "total_compressed_size"},
                  {9, "data_page_offset"}});
  return meta;
}

ColumnChunk read_column_chunk(CompactReader& r, int depth) {
  ColumnChunk chunk;
  read_struct(r, depth, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        chunk.file_path = std::string(r.field_binary(f, "file_path"));
        return true;
      case 3:
        r.expect_type(f, WireType::kStruct, "meta_data");
        chunk.meta_data = read_column_metadata(r, depth + 1);
        return true;
      case 8:
      case 9:
        chunk.encrypted = true;
        return false;  // skipped, but remembered
      default:
        return false;
    }
  });
  return chunk;
}

RowGroup read_row_group(CompactReader& r, int depth) {
  RowGroup group;
  Required required;
  read_struct(r, depth, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        read_list(r, f, WireType::kStruct, "columns",
                  [&] { group.columns.push_back(read_column_chunk(r, depth + 1)); });
        break;
      case 2:
        r.field_i64(f, "total_byte_size");
        break;
      case 3:
        group.num_rows = r.field_i64(f, "num_rows");
        break;
      default:
        return false;
    }
    required.saw(f.id);
    return true;
  });
  required.check(r, "a row group", {{1, "columns"}, {3, "num_rows"}});
  return group;
}

KeyValue read_key_value(CompactReader& r, int depth) {
  KeyValue kv;
  Required required;
  read_struct(r, depth, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        kv.key = r.field_binary(f, "key");
        required.saw(1);
        return true;
      case 2:
        kv.value = std::string(r.field_binary(f, "value"));
        return true;
      default:
        return false;
    }
  });
  required.check(r, "a key/value pair", {{1, "key"}});
  return kv;
}

}  // namespace

FileMetaData parse_file_metadata(std::span<const uint8_t> bytes, const std::string& where,
                                 uint64_t base_offset) {
  CompactReader r(bytes, where, base_offset);
  FileMetaData file;
  Required required;
  read_struct(r, 0, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        file.version = r.field_i32(f, "version");
        break;
      case 2:
        read_list(r, f, WireType::kStruct, "schema",
                  [&] { file.schema.push_back(read_schema_element(r, 1)); });
        break;
      case 3:
        file.num_rows = r.field_i64(f, "num_rows");
        break;
      case 4:
        read_list(r, f, WireType::kStruct, "row_groups",
                  [&] { file.row_groups.push_back(read_row_group(r, 1)); });
        break;
      case 5:
        read_list(r, f, WireType::kStruct, "key_value_metadata",
                  [&] { file.key_value_metadata.push_back(read_key_value(r, 1)); });
        break;
      case 6:
        file.created_by = std::string(r.field_binary(f, "created_by"));
        break;
      case 8:
        file.encrypted = true;
        return false;
      default:
        return false;
    }
    required.saw(f.id);
    return true;
  });
  required.check(r, "the footer (FileMetaData)",
                 {{1, "version"}, {2, "schema"}, {3, "num_rows"}, {4, "row_groups"}});
  return file;
}

PageHeader parse_page_header(std::span<const uint8_t> bytes, const std::string& where,
                             uint64_t base_offset, size_t* header_size) {
  CompactReader r(bytes, where, base_offset);
  PageHeader page;
  Required required;
  read_struct(r, 0, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        page.type = r.field_i32(f, "type");
        break;
      case 2:
        page.uncompressed_page_size = r.field_i32(f, "uncompressed_page_size");
        break;
      case 3:
        page.compressed_page_size = r.field_i32(f, "compressed_page_size");
        break;
      case 5: {
        r.expect_type(f, WireType::kStruct, "data_page_header");
        DataPageHeader data;
        Required inner;
        read_struct(r, 1, [&](const FieldHeader& g) {
          switch (g.id) {
            case 1:
              data.num_values = r.field_i32(g, "num_values");
              break;
            case 2:
              data.encoding = r.field_i32(g, "encoding");
              break;
            case 3:
              data.definition_level_encoding = r.field_i32(g, "definition_level_encoding");
              break;
            case 4:
              data.repetition_level_encoding = r.field_i32(g, "repetition_level_encoding");
              break;
            default:
              return false;
          }
          inner.saw(g.id);
          return true;
        });
        inner.check(r, "a data page header",
                    {{1, "num_values"},
                     {2, "encoding"},
                     {3, "definition_level_encoding"},
                     {4, "repetition_level_encoding"}});
        page.data_page = data;
        return true;
      }
      case 7: {
        r.expect_type(f, WireType::kStruct, "dictionary_page_header");
        DictionaryPageHeader dict;
        Required inner;
        read_struct(r, 1, [&](const FieldHeader& g) {
          switch (g.id) {
            case 1:
              dict.num_values = r.field_i32(g, "num_values");
              break;
            case 2:
              dict.encoding = r.field_i32(g, "encoding");
              break;
            default:
              return false;
          }
          inner.saw(g.id);
          return true;
        });
        inner.check(r, "a dictionary page header", {{1, "num_values"}, {2, "encoding"}});
        page.dictionary_page = dict;
        return true;
      }
      case 8: {
        r.expect_type(f, WireType::kStruct, "data_page_header_v2");
        DataPageHeaderV2 data;
        Required inner;
        read_struct(r, 1, [&](const FieldHeader& g) {
          switch (g.id) {
            case 1:
              data.num_values = r.field_i32(g, "num_values");
              break;
            case 2:
              data.num_nulls = r.field_i32(g, "num_nulls");
              break;
            case 3:
              data.num_rows = r.field_i32(g, "num_rows");
              break;
            case 4:
              data.encoding = r.field_i32(g, "encoding");
              break;
            case 5:
              data.definition_levels_byte_length = r.field_i32(g, "definition_levels_byte_length");
              break;
            case 6:
              data.repetition_levels_byte_length = r.field_i32(g, "repetition_levels_byte_length");
              break;
            case 7:
              data.is_compressed = r.field_bool(g, "is_compressed");
              break;
            default:
              return false;
          }
          inner.saw(g.id);
          return true;
        });
        inner.check(r, "a data page v2 header",
                    {{1, "num_values"},
                     {2, "num_nulls"},
                     {3, "num_rows"},
                     {4, "encoding"},
                     {5, "definition_levels_byte_length"},
                     {6, "repetition_levels_byte_length"}});
        page.data_page_v2 = data;
        return true;
      }
      default:
        return false;
    }
    required.saw(f.id);
    return true;
  });
  required.check(r, "a page header",
                 {{1, "type"}, {2, "uncompressed_page_size"}, {3, "compressed_page_size"}});
  *header_size = r.position();
  return page;
}

}  // namespace finetune::parquet
