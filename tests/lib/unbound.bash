# unbound.bash - a recursive resolver for the probe labs: unbound on ::1:53
# of its namespace, iterating with no cache, that reaches ZONE only through
# a stub-zone to the authoritative address under test.

# unbound_conf ZONE AUTH_ADDR: write $LAB_DIR/unbound.conf (log in
# $LAB_DIR/unbound.log); start it with `lab_bg NS unbound -d -c ...`.
unbound_conf() {
	cat >"$LAB_DIR/unbound.conf" <<-CONF
	server:
	    interface: ::1
	    port: 53
	    do-ip4: no
	    do-ip6: yes
	    do-tcp: yes
	    access-control: ::1/128 allow
	    username: ""
	    chroot: ""
	    directory: "$LAB_DIR"
	    pidfile: ""
	    use-syslog: no
	    logfile: "$LAB_DIR/unbound.log"
	    verbosity: 1
	    module-config: "iterator"
	    qname-minimisation: yes
	    do-not-query-localhost: no
	    edns-buffer-size: 1232
	    cache-max-ttl: 0
	    cache-max-negative-ttl: 0
	    outbound-msg-retry: 5
	stub-zone:
	    name: "$1"
	    stub-addr: $2
	CONF
}
