# nginx.bash - a private nginx back end for the httpfrag labs, soak and bench:
# its own prefix, pid file, logs and temp directories under DIR, so no system
# service or file is touched.
#   nginx_conf DIR ADDR [tls]   print the configuration: serve DIR/www on
#                               [ADDR]:80 (tls: also :443 with DIR/cert.pem
#                               and DIR/key.pem)
#   nginx_lab3 DIR ADDR BACKEND FILE [routed]
#                               the httpfrag topology with that nginx in it
#                               (needs lab.bash; see below)
# Callers write the configuration to DIR/nginx.conf and create DIR/www and
# DIR/tmp; nginx_lab3 starts it (nginx -p DIR -c DIR/nginx.conf, lab_bg).
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

# nginx_lab3 DIR ADDR BACKEND FILE [routed]: the three namespaces of the
# httpfrag labs, soak and benchmark, with nginx serving in b:
#   c: c0 2001:db8:1::100 <-> f: f0 2001:db8:1::1 and ADDR
#                             f: f1 2001:db8:2::1 <-> b: b0 BACKEND
# Ready once f fetches FILE from the back end.  routed: f also forwards and
# c and b route to each other through it (the benchmark's direct path).
# Non-zero, with nginx's error log on stderr, if any step fails.
nginx_lab3() {
	local d=$1 addr=$2 backend=$3 file=$4 routed=${5:-}
	{
		lab_ns c && lab_ns f ${routed:+forward} && lab_ns b &&
		lab_link c c0 f f0 && lab_link f f1 b b0 &&
		lab_addr c c0 2001:db8:1::100/64 && lab_addr f f0 2001:db8:1::1/64 &&
		lab_addr f f0 "$addr/64" && lab_addr f f1 2001:db8:2::1/64 &&
		lab_addr b b0 "$backend/64" &&
		{ [ -z "$routed" ] || {
			lab_exec c ip -6 route add 2001:db8:2::/64 via 2001:db8:1::1 &&
			lab_exec b ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1; }; } &&
		lab_bg b nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &&
		lab_wait 10 lab_exec f curl -g -s -f -o /dev/null "http://[$backend]/$file"
	} || { cat "$d/error.log" >&2 2>/dev/null; return 1; }
}
