# Sourced by bench/tls/run.sh and count.sh: the nginx peer's configuration, the same in every TLS benchmark.
# nginx_conf PORT DIR [MORE] prints a config for one worker terminating DIR's SVID with client certificates
# required from DIR's bundle (TLS 1.3, no tickets or session cache), answering `GET /` with a tiny 200; MORE is
# extra config inside the server block (e.g. a download location).
nginx_conf() {
    local port=$1 dir=$2 more=${3:-}
    cat <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_protocols TLSv1.3;
        ssl_certificate $dir/server.pem;
        ssl_certificate_key $dir/server.key;
        ssl_client_certificate $dir/bundle.pem;
        ssl_verify_client on;
        ssl_session_tickets off;
        ssl_session_cache off;
        location = / { return 200 "ok"; }
        $more
    }
}
CONF
}
