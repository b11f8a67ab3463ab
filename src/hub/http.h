// HTTP(S) requests for the hub client, on libcurl.
//
// libcurl is loaded when the first request is made (dlopen of libcurl.so.4), not linked: every
// command that never touches the network (train on local files, predict, the GPU check) runs on
// machines without libcurl or with a libcurl whose own dependencies differ from the build
// machine's, and a hub request there fails with one clear Error. The build needs only curl's
// headers (libcurl4-openssl-dev).
//
// Two kinds of failure are kept apart because the hub client treats them differently:
//   - HttpTransportError: no complete response (connection refused or reset, timeout, a body cut
//     short): worth retrying, and a partial download can resume;
//   - a response with any status, returned to the caller, who maps 401/403/404/5xx to messages.
// Only http and https URLs are followed; headers given by the caller (the Authorization token)
// are sent to the host of the request URL only, never to a host a redirect leads to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace finetune {

// The request never produced a complete response. `what()` names the URL (without its query,
// which may carry a signature) and libcurl's reason.
class HttpTransportError : public Error {
 public:
  explicit HttpTransportError(const std::string& message) : Error(message) {}
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; the final response's headers
  std::string body;                            // up to HttpRequest::max_body bytes (non-streamed)
  std::string url;                             // the URL that answered (after redirects)

  // A header's value, or "" when absent. `name` in lowercase.
  std::string header(const std::string& name) const;
  bool is_redirect() const { return status >= 300 && status < 400 && headers.count("location"); }
};

struct HttpRequest {
  std::string method = "GET";  // "GET" or "HEAD"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool follow_redirects = false;     // follow 3xx (at most 10); headers stay with the first host
  size_t max_body = 32u << 20;       // larger in-memory bodies are a transport error
  long connect_timeout_s = 10;
  long stall_timeout_s = 60;  // abort when less than 1 byte/s arrives for this long
};

// Called with each chunk of a 200/206 response body; `response` has status and headers.
// Return false to abort the transfer (reported as an HttpTransportError).
using BodySink = std::function<bool(const HttpResponse& response, const char* data, size_t size)>;

// Performs one request. Bodies of 200/206 responses go to `sink` when one is given (other
// statuses, e.g. an error page, are kept in `body`). Throws HttpTransportError when no complete
// response arrived, and Error when libcurl cannot be loaded.
HttpResponse http_request(const HttpRequest& request, const BodySink& sink = nullptr);

// `url` without its query string and fragment, for messages (CDN URLs carry signatures).
std::string url_for_messages(const std::string& url);

// (scheme, host, port) of a URL, with the scheme's default port: two URLs with the same origin
// may share credentials.
std::string url_origin(const std::string& url);

// Resolves `location` (absolute, or relative as in a Location header) against `base`.
std::string resolve_url(const std::string& base, const std::string& location);

// Percent-encodes for a URL path: unreserved characters (and '/' when keep_slash) stay.
std::string url_encode(const std::string& text, bool keep_slash);

}  // namespace finetune
