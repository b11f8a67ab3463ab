// libcurl's easy interface, loaded at run time. curl's ABI for these few functions has been
// stable since libcurl 7.16 (soname libcurl.so.4), so any distribution's library works.
#include "hub/http.h"

// The *_PROTOCOLS options are deprecated in libcurl 7.85 in favour of *_PROTOCOLS_STR, which
// older libraries lack; both are used (the old one as the fallback), so silence the warning.
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>
#include <type_traits>

namespace finetune {
namespace {

// The libcurl functions we call, resolved once from the shared library.
struct CurlApi {
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
  std::string load_error;
};

const CurlApi& curl_api() {
  static CurlApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    // Debian/Ubuntu/Fedora name the OpenSSL build libcurl.so.4; the GnuTLS and NSS builds (which
    // git pulls in) work the same way.
    void* lib = nullptr;
    std::string tried;
    for (const char* name :
         {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4", "libcurl.so"}) {
      lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
      const char* reason = ::dlerror();
      tried += cat(tried.empty() ? "" : "; ", reason ? reason : name);
    }
    if (lib == nullptr) {
      api.load_error = cat(
          "the Hugging Face hub needs libcurl, which could not be loaded (", tried,
          "); install it (Debian/Ubuntu: apt-get install libcurl4) or pass a local directory/file");
      return;
    }
    auto load = [&](auto& fn, const char* symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, symbol));
      if (fn == nullptr && api.load_error.empty()) api.load_error = cat("libcurl lacks ", symbol);
    };
    load(api.global_init, "curl_global_init");
    load(api.easy_init, "curl_easy_init");
    load(api.easy_setopt, "curl_easy_setopt");
    load(api.easy_perform, "curl_easy_perform");
    load(api.easy_getinfo, "curl_easy_getinfo");
    load(api.easy_cleanup, "curl_easy_cleanup");
    load(api.easy_strerror, "curl_easy_strerror");
    load(api.slist_append, "curl_slist_append");
    load(api.slist_free_all, "curl_slist_free_all");
    if (api.load_error.empty() && api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      api.load_error = "libcurl failed to initialise";
    }
  });
  if (!api.load_error.empty()) throw Error(api.load_error);
  return api;
}

struct Transfer {
  const HttpRequest* request = nullptr;
  const BodySink* sink = nullptr;
  CURL* curl = nullptr;
  HttpResponse response;
  bool sink_failed = false;
  bool body_too_large = false;
  std::exception_ptr sink_error;  // an exception from the sink, rethrown once libcurl returned
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after a redirect or a 100 Continue)
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  size_t start = colon + 1;
  while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
  t->response.headers[name] = line.substr(start);
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_api().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  t->response.status = status;
  if (t->sink != nullptr && *t->sink && (status == 200 || status == 206)) {
    // Exceptions must not cross libcurl's C frames: keep it and stop the transfer.
    bool keep_going = false;
    try {
      keep_going = (*t->sink)(t->response, data, n);
    } catch (...) {
      t->sink_error = std::current_exception();
    }
    if (!keep_going) {
      t->sink_failed = true;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    return n;
  }
  if (t->response.body.size() + n > t->request->max_body) {
    t->body_too_large = true;
    return 0;
  }
  t->response.body.append(data, n);
  return n;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string url_for_messages(const std::string& url) {
  const size_t cut = url.find_first_of("?#");
  return cut == std::string::npos ? url : url.substr(0, cut);
}

std::string url_origin(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const size_t host_start = scheme_end + 3;
  const size_t host_end = url.find_first_of("/?#", host_start);
  std::string authority = url.substr(
      host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
  const size_t at = authority.rfind('@');  // drop user:password@
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string::npos && authority.find(']', colon) == std::string::npos;
  if (!has_port) authority += scheme == "https" ? ":443" : ":80";
  return scheme + "://" + authority;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  const size_t scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return location;
  if (location.rfind("//", 0) == 0) return base.substr(0, scheme_end + 1) + location;
  const size_t path_start = base.find('/', scheme_end + 3);
  const std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
  if (!location.empty() && location[0] == '/') return origin + location;
  // A relative path replaces the last segment of the base path.
  std::string path =
      path_start == std::string::npos ? "/" : url_for_messages(base.substr(path_start));
  return origin + path.substr(0, path.rfind('/') + 1) + location;
}

std::string url_encode(const std::string& text, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpResponse http_request(const HttpRequest& request, const BodySink& sink) {
  const CurlApi& api = curl_api();
  Transfer t;
  t.request = &request;
  t.sink = &sink;
  t.curl = api.easy_init();
  if (t.curl == nullptr) throw Error("libcurl could not start a request");
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = api.slist_append(headers, h.c_str());
  CURL* c = t.curl;
  api.easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (request.method == "HEAD") api.easy_setopt(c, CURLOPT_NOBODY, 1L);
  api.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(c, CURLOPT_USERAGENT, "finetune/0.1.0");
  api.easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  api.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  // Custom headers (Authorization) are not sent to another host after a redirect: libcurl's
  // default since 7.58, made explicit.
  api.easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  if (api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
    api.easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  }
  if (api.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK) {
    api.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS,
                    static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  }
  api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  api.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  api.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  api.easy_setopt(c, CURLOPT_NOSIGNAL,
                  1L);  // no SIGALRM for timeouts; our SIGINT handling stays ours
  api.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(c, CURLOPT_HEADERDATA, &t);
  api.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(c, CURLOPT_WRITEDATA, &t);
  const CURLcode code = api.easy_perform(c);
  long status = 0;
  api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  char* effective = nullptr;
  api.easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
  t.response.status = status;
  t.response.url = effective != nullptr ? effective : request.url;
  api.easy_cleanup(c);
  api.slist_free_all(headers);
  if (t.sink_error) std::rethrow_exception(t.sink_error);
  if (code != CURLE_OK) {
    const std::string where = url_for_messages(request.url);
    if (t.sink_failed) throw HttpTransportError(cat(where, ": the download was stopped"));
    if (t.body_too_large) {
      throw HttpTransportError(
          cat(where, ": the response is larger than ", request.max_body, " bytes"));
    }
    throw HttpTransportError(cat(where, ": ", api.easy_strerror(code)));
  }
  return t.response;
}

}  // namespace finetune
