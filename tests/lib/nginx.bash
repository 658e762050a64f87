# nginx.bash - a private nginx back end for the httpfrag labs, soak and bench:
# its own prefix, pid file, logs and temp directories under DIR, so no system
# service or file is touched.
#   nginx_conf DIR ADDR [tls]   print the configuration: serve DIR/www on
#                               [ADDR]:80 (tls: also :443 with DIR/cert.pem
#                               and DIR/key.pem)
# Callers write it to DIR/nginx.conf, create DIR/www and DIR/tmp, and start
#   nginx -p DIR -c DIR/nginx.conf -e DIR/error.log   (in a namespace: lab_bg)
nginx_conf() {
	local d=$1 at=$2 tls=${3:-}
	cat <<EOF
daemon off;
user root root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_timeout 5;
	client_body_temp_path $d/tmp; proxy_temp_path $d/tmp; fastcgi_temp_path $d/tmp;
	uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;
	server {
		listen [$at]:80;
EOF
	if [ "$tls" = tls ]; then
		cat <<EOF
		listen [$at]:443 ssl;
		ssl_certificate $d/cert.pem;
		ssl_certificate_key $d/key.pem;
EOF
	fi
	cat <<EOF
		root $d/www;
	}
}
EOF
}
