// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/http/http_client.hpp"

#include <curl/curl.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "kubeflow/error.hpp"

namespace kubeflow::http {

namespace {

std::once_flag curl_init_once;

void ensure_curl_initialized() {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct HeaderList {
  curl_slist* list = nullptr;
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() {
    if (list != nullptr) curl_slist_free_all(list);
  }
  void add(const std::string& header) { list = curl_slist_append(list, header.c_str()); }
};

// The Authorization header carries a secret: its buffer is wiped once curl has copied it.
struct SecretHeaderList : HeaderList {
  std::string secret_header;
  ~SecretHeaderList() { SecretString wipe{std::move(secret_header)}; }
};

struct Transfer {
  std::string body;
  std::string retry_after;
  const LineSink* sink = nullptr;
  std::string pending;  // a partial line waiting for its '\n'
  bool stopped_by_sink = false;
  CURL* handle = nullptr;
  const CancelCheck* cancel = nullptr;
};

bool status_is_success(CURL* handle) {
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  // Error bodies of streaming calls are collected whole, so they can become a typed error.
  if (t->sink == nullptr || !status_is_success(t->handle)) {
    t->body.append(data, n);
    return n;
  }
  t->pending.append(data, n);
  size_t start = 0;
  for (size_t nl = t->pending.find('\n'); nl != std::string::npos;
       nl = t->pending.find('\n', start)) {
    std::string_view line(t->pending.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!(*t->sink)(line)) {
      t->stopped_by_sink = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR, which we treat as a clean end
    }
    start = nl + 1;
  }
  t->pending.erase(0, start);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view header(data, n);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (header.size() > kRetryAfter.size()) {
    bool match = true;
    for (size_t i = 0; i < kRetryAfter.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != kRetryAfter[i]) {
        match = false;
        break;
      }
    }
    if (match) {
      std::string value(header.substr(kRetryAfter.size()));
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.pop_back();
      }
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.erase(0, 1);
      }
      t->retry_after = value;
    }
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->cancel != nullptr && *t->cancel && (*t->cancel)()) ? 1 : 0;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kAuth,
                fmt::format("cannot read bearer token file {}: check that it exists and is "
                            "readable",
                            path),
                {.field = "tokenFile", .file = path});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  return token;
}

// "https://host:port" -> {"host", "port"}; used to keep TLS verification against
// tls-server-name while connecting to the real address.
std::pair<std::string, std::string> host_and_port(const std::string& server) {
  std::string rest = server;
  auto scheme = rest.find("://");
  if (scheme != std::string::npos) rest = rest.substr(scheme + 3);
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  std::string port = "443";
  auto colon = rest.rfind(':');
  auto bracket = rest.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  return {rest, port};
}

}  // namespace

struct HttpClient::Impl {
  config::ConnectionConfig connection;
  std::string base_url;      // what the URL starts with (tls-server-name swapped in if set)
  HeaderList connect_to;     // CURLOPT_CONNECT_TO entry when tls-server-name is set
  std::mutex pool_mutex;
  std::vector<CURL*> pool;   // idle handles; each keeps its own live connections
  std::atomic<long> requests{0};
  bool http2 = false;

  CURL* acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        curl_easy_reset(h);
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (h == nullptr) throw Error(ErrorCode::kInternal, "curl_easy_init failed");
    return h;
  }

  void release(CURL* h) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(h);
  }

  void configure(CURL* h, const Request& request, Transfer& transfer, SecretHeaderList& headers) {
    const std::string url = base_url + request.path_and_query;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.timeouts.connect.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeouts.total.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kubeflow-sdk-cpp/" KUBEFLOW_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
    if (http2) curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    if (connect_to.list != nullptr) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.list);

    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      headers.add("Content-Type: " + request.content_type);
    }
    headers.add("Accept: application/json");

    const auto& c = connection;
    if (c.insecure_skip_tls_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
      if (!c.ca_pem.empty()) {
        curl_blob ca{const_cast<char*>(c.ca_pem.data()), c.ca_pem.size(), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
      }
    }
    if (!c.client_cert_pem.empty()) {
      curl_blob cert{const_cast<char*>(c.client_cert_pem.data()), c.client_cert_pem.size(),
                     CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!c.client_key_pem.empty()) {
      const std::string& key = c.client_key_pem.reveal();
      curl_blob blob{const_cast<char*>(key.data()), key.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    std::string token = c.token.reveal();
    if (token.empty() && !c.token_file.empty()) token = read_token_file(c.token_file);
    if (!token.empty()) {
      headers.secret_header = "Authorization: Bearer " + token;
      headers.add(headers.secret_header);
      SecretString wipe{std::move(token)};
    } else if (!c.username.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(h, CURLOPT_USERNAME, c.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, c.password.reveal().c_str());
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);

    transfer.handle = h;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    if (transfer.cancel != nullptr && *transfer.cancel) {
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
  }

  Response run(const Request& request, const LineSink* sink, const CancelCheck& cancel) {
    CURL* h = acquire();
    Transfer transfer;
    transfer.sink = sink;
    transfer.cancel = &cancel;
    Response response;
    {
      SecretHeaderList headers;
      try {
        configure(h, request, transfer, headers);
      } catch (...) {
        release(h);
        throw;
      }
      ++requests;
      const CURLcode code = curl_easy_perform(h);
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
      if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.stopped_by_sink)) {
        response.curl_code = static_cast<int>(code);
        response.curl_error = curl_easy_strerror(code);
      }
      // Drop references to per-call buffers before the handle returns to the pool.
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    }
    release(h);
    if (sink != nullptr && !transfer.pending.empty() && response.curl_code == 0 &&
        !transfer.stopped_by_sink && response.status >= 200 && response.status < 300) {
      (*sink)(transfer.pending);  // a last line without its newline
    }
    response.body = std::move(transfer.body);
    response.retry_after = std::move(transfer.retry_after);
    return response;
  }
};

HttpClient::HttpClient(config::ConnectionConfig connection) : impl_(std::make_unique<Impl>()) {
  ensure_curl_initialized();
  impl_->connection = std::move(connection);
  std::string server = impl_->connection.server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  impl_->base_url = server;
  if (!impl_->connection.tls_server_name.empty()) {
    auto [host, port] = host_and_port(server);
    const auto scheme_end = server.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "https" : server.substr(0, scheme_end);
    impl_->base_url = fmt::format("{}://{}:{}", scheme, impl_->connection.tls_server_name, port);
    std::string connect_host = host;
    if (connect_host.find(':') != std::string::npos && connect_host.front() != '[') {
      connect_host = "[" + connect_host + "]";
    }
    impl_->connect_to.add(
        fmt::format("{}:{}:{}:{}", impl_->connection.tls_server_name, port, connect_host, port));
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  impl_->http2 = info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
}

HttpClient::~HttpClient() {
  for (CURL* h : impl_->pool) curl_easy_cleanup(h);
}

Response HttpClient::perform(const Request& request, const CancelCheck& cancel) {
  return impl_->run(request, nullptr, cancel);
}

Response HttpClient::stream_lines(const Request& request, const LineSink& sink,
                                  const CancelCheck& cancel) {
  return impl_->run(request, &sink, cancel);
}

long HttpClient::request_count() const noexcept { return impl_->requests.load(); }

const config::ConnectionConfig& HttpClient::connection() const noexcept {
  return impl_->connection;
}

}  // namespace kubeflow::http
