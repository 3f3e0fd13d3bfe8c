// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/http/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "auth/exec_credentials.hpp"
#include "http/ca_store.hpp"
#include "http/line_splitter.hpp"
#include "kubeflow/error.hpp"
#include "kubeflow/lifecycle.hpp"

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
  LineSplitter lines;
  bool stopped_by_sink = false;
  CURL* handle = nullptr;
  std::exception_ptr error;  // thrown by a sink; rethrown after the transfer, never into curl
  // libcurl's own words on a failure ("no alternative certificate subject name matches target
  // host name ..."), which say far more than curl_easy_strerror's generic text.
  std::array<char, CURL_ERROR_SIZE> error_detail{};
  // When the server last sent anything (a header or body bytes), for the read deadline.
  std::chrono::steady_clock::time_point last_data = std::chrono::steady_clock::now();
};

bool status_is_success(CURL* handle) {
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t deliver(Transfer* t, char* data, size_t n) {
  // Error bodies of streaming calls are collected whole, so they can become a typed error.
  if (t->sink == nullptr || !status_is_success(t->handle)) {
    t->body.append(data, n);
    return n;
  }
  if (!t->lines.feed(std::string_view(data, n), *t->sink)) {
    t->stopped_by_sink = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR, which we treat as a clean end
  }
  return n;
}

// curl is C: an exception must not unwind through it. Keep it, stop the transfer, rethrow
// after curl returned.
size_t on_body(char* data, size_t size, size_t count, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  t->last_data = std::chrono::steady_clock::now();
  try {
    const size_t taken = deliver(t, data, size * count);
    // A sink may wait for its consumer (a bounded stream): that time is not the server's silence.
    t->last_data = std::chrono::steady_clock::now();
    return taken;
  } catch (...) {
    t->error = std::current_exception();
    return 0;
  }
}

void read_header(Transfer* t, std::string_view header) {
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (header.size() <= kRetryAfter.size()) return;
  for (size_t i = 0; i < kRetryAfter.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kRetryAfter[i]) return;
  }
  std::string value(header.substr(kRetryAfter.size()));
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.pop_back();
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.erase(0, 1);
  }
  t->retry_after = value;
}

size_t on_header(char* data, size_t size, size_t count, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  t->last_data = std::chrono::steady_clock::now();
  const size_t n = size * count;
  try {
    read_header(t, std::string_view(data, n));
  } catch (...) {
    t->error = std::current_exception();
    return 0;
  }
  return n;
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

// An easy handle and the multi handle that drives it. The multi owns the connection cache, so
// the pair stays together in the pool to keep connections warm.
struct Handles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  void cleanup() noexcept {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
    easy = nullptr;
    multi = nullptr;
  }
};

}  // namespace

struct HttpClient::Impl {
  config::ConnectionConfig connection;
  std::string base_url;   // what the URL starts with (tls-server-name swapped in if set)
  HeaderList connect_to;  // CURLOPT_CONNECT_TO entry when tls-server-name is set
  std::mutex pool_mutex;
  std::vector<Handles> pool;  // idle pairs; each multi keeps its own live connections
  std::atomic<long> requests{0};
  bool http2 = false;
  std::unique_ptr<auth::ExecCredentials> exec;  // when the kubeconfig user has an exec plugin
  CaLocations system_ca;  // the machine's CA store, looked up once, when the cluster names no CA

  // A pair from the pool for one call; back to the pool on every path, exceptions included.
  class Lease {
   public:
    explicit Lease(Impl& impl) : impl_(impl) {
      {
        std::lock_guard<std::mutex> lock(impl_.pool_mutex);
        if (!impl_.pool.empty()) {
          handles_ = impl_.pool.back();
          impl_.pool.pop_back();
          curl_easy_reset(handles_.easy);
          return;
        }
      }
      handles_.easy = curl_easy_init();
      handles_.multi = curl_multi_init();
      if (handles_.easy == nullptr || handles_.multi == nullptr) {
        handles_.cleanup();
        throw Error(ErrorCode::kInternal, "libcurl could not allocate a handle (out of memory)");
      }
    }
    ~Lease() {
      // Drop references to per-call buffers before the handle is reused.
      curl_easy_setopt(handles_.easy, CURLOPT_HTTPHEADER, nullptr);
      std::lock_guard<std::mutex> lock(impl_.pool_mutex);
      impl_.pool.push_back(handles_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    [[nodiscard]] CURL* easy() const noexcept { return handles_.easy; }
    [[nodiscard]] CURLM* multi() const noexcept { return handles_.multi; }

   private:
    Impl& impl_;
    Handles handles_;
  };

  // `credential`, from the exec plugin, replaces the kubeconfig's own; it outlives the transfer.
  void configure(CURL* h, const Request& request, Transfer& transfer, SecretHeaderList& headers,
                 const auth::ExecCredential* credential) {
    const std::string url = base_url + request.path_and_query;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, transfer.error_detail.data());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.timeouts.connect.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeouts.total.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kubeflow-sdk-cpp/" KUBEFLOW_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
    // A peer that vanished without a FIN (host down, NAT dropped) is noticed within ~1 min
    // even on a quiet followed log, instead of the stream hanging until its total timeout.
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 15L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
    if (http2) curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    if (connect_to.list != nullptr) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.list);
    // Without proxy-url libcurl follows HTTPS_PROXY / NO_PROXY itself, as client-go does.
    if (!connection.proxy_url.empty()) {
      curl_easy_setopt(h, CURLOPT_PROXY, connection.proxy_url.c_str());
      curl_easy_setopt(h, CURLOPT_NOPROXY, "");  // as client-go: NO_PROXY does not apply to it
    }

    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    // libcurl silently sends a request again when a reused connection dies before any answer,
    // even a POST the server may already have processed. Writes get a connection of their own,
    // so only our retry logic repeats them (a create reads back first; a repeated delete that
    // finds nothing succeeded).
    if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
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
      } else {
        // The system store, found at run time rather than compiled into libcurl (the wheel runs
        // on distributions other than the one that built it).
        const CaLocations& system = system_ca;
        if (!system.file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, system.file.c_str());
        if (!system.dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, system.dir.c_str());
      }
    }
    const bool plugin_cert = credential != nullptr && !credential->client_cert_pem.empty();
    const std::string& cert_pem = plugin_cert ? credential->client_cert_pem : c.client_cert_pem;
    const SecretString& key_pem = plugin_cert ? credential->client_key_pem : c.client_key_pem;
    if (!cert_pem.empty()) {
      curl_blob cert{const_cast<char*>(cert_pem.data()), cert_pem.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!key_pem.empty()) {
      const std::string& key = key_pem.reveal();
      curl_blob blob{const_cast<char*>(key.data()), key.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    std::string token = credential != nullptr ? credential->token.reveal() : c.token.reveal();
    if (token.empty() && credential == nullptr && !c.token_file.empty()) {
      token = read_token_file(c.token_file);
    }
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
  }

  // How one transfer ended besides curl's own result.
  struct Ending {
    bool cancelled = false;
    bool idle_expired = false;
  };

  // Drives one transfer on the pair's multi handle, polling at most kPollSlice apart so that a
  // cancel (the caller's, the thread's Ctrl-C scope, or process shutdown) ends it promptly
  // even while the server sends nothing, and so that the read deadline is checked. The read
  // deadline is ours rather than CURLOPT_LOW_SPEED_TIME: that one counts whole seconds and
  // also fires on a slow but live trickle.
  static CURLcode drive(CURLM* multi, CURL* easy, const Transfer& transfer,
                        std::chrono::milliseconds idle, const CancelCheck& cancel, Ending& ending) {
    constexpr int kPollSliceMs = 100;
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode result = CURLE_OK;
    bool done = false;
    while (!done) {
      int running = 0;
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
          result = msg->data.result;
          done = true;
        }
      }
      if (done || running == 0) break;
      if (ThreadCancelScope::cancelled() || (cancel && cancel())) {
        ending.cancelled = true;
        result = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      if (idle.count() > 0 && std::chrono::steady_clock::now() - transfer.last_data > idle) {
        ending.idle_expired = true;
        result = CURLE_OPERATION_TIMEDOUT;
        break;
      }
      if (curl_multi_poll(multi, nullptr, 0, kPollSliceMs, nullptr) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
    }
    curl_multi_remove_handle(multi, easy);
    return result;
  }

  Response run(const Request& request, const LineSink* sink, const CancelCheck& cancel) {
    if (!exec) return run_once(request, sink, cancel, nullptr);
    auto credential = exec->current();
    Response response = run_once(request, sink, cancel, credential.get());
    if (response.status != 401) return response;
    // Refused: the plugin runs again once (the credential may have been revoked or rotated),
    // as kubectl does. A 401 carries no data, so nothing was streamed to the sink yet.
    exec->invalidate(credential);
    credential = exec->current();
    return run_once(request, sink, cancel, credential.get());
  }

  Response run_once(const Request& request, const LineSink* sink, const CancelCheck& cancel,
                    const auth::ExecCredential* credential) {
    Response response;
    if (shutting_down()) {
      response.curl_code = CURLE_ABORTED_BY_CALLBACK;
      response.curl_error = "the process is shutting down";
      return response;
    }
    detail::ActivityGuard active;
    Transfer transfer;
    transfer.sink = sink;
    transfer.lines = LineSplitter(request.max_line_bytes);
    {
      Lease lease(*this);
      SecretHeaderList headers;
      configure(lease.easy(), request, transfer, headers, credential);
      ++requests;
      transfer.last_data = std::chrono::steady_clock::now();
      Ending ending;
      const CURLcode code =
          drive(lease.multi(), lease.easy(), transfer, request.timeouts.idle, cancel, ending);
      curl_easy_getinfo(lease.easy(), CURLINFO_RESPONSE_CODE, &response.status);
      if (transfer.error) std::rethrow_exception(transfer.error);
      if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.stopped_by_sink)) {
        response.curl_code = static_cast<int>(code);
        response.idle_expired = ending.idle_expired;
        if (ending.cancelled) {
          response.curl_error =
              shutting_down() ? "the process is shutting down" : "cancelled by the caller";
        } else if (ending.idle_expired) {
          response.curl_error =
              fmt::format("the server sent nothing for {:.1f} s (the read deadline)",
                          static_cast<double>(request.timeouts.idle.count()) / 1000.0);
        } else if (transfer.error_detail[0] != '\0') {
          response.curl_error = transfer.error_detail.data();
        } else {
          response.curl_error = curl_easy_strerror(code);
        }
      }
    }
    if (sink != nullptr && !transfer.lines.pending().empty() && response.curl_code == 0 &&
        !transfer.stopped_by_sink && response.status >= 200 && response.status < 300) {
      (*sink)(transfer.lines.pending());  // a last line without its newline
    }
    response.body = std::move(transfer.body);
    response.retry_after = std::move(transfer.retry_after);
    return response;
  }
};

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  const size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t host_end = std::min(url.find_first_of("/?#", host_start), url.size());
  const auto at = url.rfind('@', host_end == std::string::npos ? url.size() : host_end);
  if (at == std::string::npos || at < host_start) return url;
  return url.substr(0, host_start) + "***" + url.substr(at);
}

HttpClient::HttpClient(config::ConnectionConfig connection) : impl_(std::make_unique<Impl>()) {
  ensure_curl_initialized();
  impl_->connection = std::move(connection);
  std::string server = impl_->connection.server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  impl_->base_url = server;
  if (!impl_->connection.tls_server_name.empty()) {
    auto [host, port] = host_and_port(server);
    const auto scheme_end = server.find("://");
    const std::string scheme =
        scheme_end == std::string::npos ? "https" : server.substr(0, scheme_end);
    impl_->base_url = fmt::format("{}://{}:{}", scheme, impl_->connection.tls_server_name, port);
    std::string connect_host = host;
    if (connect_host.find(':') != std::string::npos && connect_host.front() != '[') {
      connect_host = "[" + connect_host + "]";
    }
    impl_->connect_to.add(
        fmt::format("{}:{}:{}:{}", impl_->connection.tls_server_name, port, connect_host, port));
  }
  if (impl_->connection.exec) {
    impl_->exec = std::make_unique<auth::ExecCredentials>(impl_->connection);
  }
  if (impl_->connection.ca_pem.empty()) {
    // Once per client, as the kubeconfig is read: not a getenv and a stat per request.
    impl_->system_ca = system_ca_locations();
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  impl_->http2 = info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
}

HttpClient::~HttpClient() {
  for (auto& h : impl_->pool) h.cleanup();
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
