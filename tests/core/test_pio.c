/* test_pio.c - offline capture reader and dump writer: pcap (µs and ns),
 * pcapng, stdin, truncated records, garbage, empty and missing files, write
 * errors; live/injection set-up errors; live capture of frames injected on
 * lo by both senders (as root). */
#include "pio.h"
#include "util.h"
#include "t.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/v6k-test-pio-XXXXXX";

static const char *tmp(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	CHECK(fp != NULL);
	if (!fp)
		return;
	CHECK_EQ(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

/* Three frames of distinct lengths and contents, known timestamps. */
static uint8_t frame_bytes[3][100];
static const uint32_t frame_len[3] = { 60, 77, 100 };
static const int64_t frame_sec[3] = { 1700000000, 1700000001, 1700000002 };
static const uint32_t frame_nsec[3] = { 123456789, 0, 999999999 };

static void write_three(const char *path, unsigned flags)
{
	struct pio_dump *d = pio_dump_open(path, 1, 0, flags);

	for (int i = 0; i < 3; i++) {
		struct pio_frame f = { frame_bytes[i], frame_len[i], frame_len[i] + 10,
				       frame_sec[i], frame_nsec[i] };

		for (uint32_t j = 0; j < frame_len[i]; j++)
			frame_bytes[i][j] = (uint8_t)(i * 31 + j);
		CHECK_EQ(pio_dump_write(d, &f), 0);
	}
	CHECK_EQ(pio_dump_close(d), 0);
}

static void check_three(struct pio_in *in, bool nsec, int expect_frames)
{
	struct pio_frame f;
	int i;

	CHECK_EQ(pio_dlt(in), 1);
	for (i = 0; i < expect_frames; i++) {
		CHECK_EQ(pio_next(in, &f), 1);
		CHECK_EQ(f.caplen, frame_len[i]);
		CHECK_EQ(f.wirelen, frame_len[i] + 10);
		CHECK_MEM(f.data, frame_bytes[i], frame_len[i]);
		CHECK_EQ(f.ts_sec, frame_sec[i]);
		CHECK_EQ(f.ts_nsec, nsec ? frame_nsec[i] : frame_nsec[i] / 1000 * 1000);
		CHECK_EQ(pio_frame_us(&f), (uint64_t)frame_sec[i] * 1000000 + frame_nsec[i] / 1000);
	}
}

static void test_pcap_roundtrip_usec(void)
{
	struct pio_frame f;
	struct pio_in *in;

	write_three(tmp("us.pcap"), 0);
	in = pio_open_offline(tmp("us.pcap"));
	check_three(in, false, 3);
	CHECK_EQ(pio_next(in, &f), 0);
	CHECK_EQ(pio_next(in, &f), 0);	/* stays at end */
	CHECK_EQ(pio_fd(in), -1);
	uint64_t r, dr;
	CHECK_EQ(pio_stats(in, &r, &dr), -1);
	pio_close(in);
}

static void test_pcap_roundtrip_nsec(void)
{
	struct pio_frame f;
	struct pio_in *in;

	write_three(tmp("ns.pcap"), PIO_DUMP_NSEC);
	in = pio_open_offline(tmp("ns.pcap"));
	check_three(in, true, 3);
	CHECK_EQ(pio_next(in, &f), 0);
	pio_close(in);
}

static void test_snaplen_clips(void)
{
	uint8_t data[200] = { 1, 2, 3 };
	struct pio_frame f = { data, 200, 200, 5, 0 };
	struct pio_dump *d = pio_dump_open(tmp("snap.pcap"), 1, 64, 0);
	struct pio_in *in;

	CHECK_EQ(pio_dump_write(d, &f), 0);
	CHECK_EQ(pio_dump_close(d), 0);
	in = pio_open_offline(tmp("snap.pcap"));
	CHECK_EQ(pio_snaplen(in), 64);
	CHECK_EQ(pio_next(in, &f), 1);
	CHECK_EQ(f.caplen, 64);
	CHECK_EQ(f.wirelen, 200);
	CHECK_EQ(f.data[2], 3);
	pio_close(in);
}

static void test_pcapng(void)
{
	/* SHB, IDB (Ethernet), one EPB of 16 octets at 1700000000.123456. */
	static const char hex[] =
		"0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000"
		"01000000 14000000 0100 0000 ffff0000 14000000"
		"06000000 30000000 00000000 240a0600 40222018 10000000 20000000"
		"00112233445566778899aabbccddeeff 30000000";
	uint8_t buf[200];
	size_t n = t_unhex(hex, buf, sizeof(buf));
	struct pio_frame f;
	struct pio_in *in;

	write_file(tmp("a.pcapng"), buf, n);
	in = pio_open_offline(tmp("a.pcapng"));
	CHECK_EQ(pio_dlt(in), 1);
	CHECK_EQ(pio_next(in, &f), 1);
	CHECK_EQ(f.caplen, 16);
	CHECK_EQ(f.wirelen, 32);
	CHECK_EQ(f.data[0], 0x00);
	CHECK_EQ(f.data[15], 0xff);
	CHECK_EQ(f.ts_sec, 1700000000);
	CHECK_EQ(f.ts_nsec, 123456000);
	CHECK_EQ(pio_next(in, &f), 0);
	pio_close(in);

	/* Cut the EPB short: the record is reported, not silently ended. */
	write_file(tmp("cut.pcapng"), buf, n - 10);
	in = pio_open_offline(tmp("cut.pcapng"));
	CHECK_EQ(pio_next(in, &f), -1);
	CHECKF(strlen(pio_error(in)) > 0, "no message");
	pio_close(in);
}

/* Interfaces of different link types (mergecap of an Ethernet and a raw-IP
 * capture): every frame comes with its own interface's link type and time
 * resolution; a second section, big-endian, starts its interfaces again. */
static void test_pcapng_mixed(void)
{
	static const char hex[] =
		/* SHB, little-endian */
		"0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000"
		/* IDB 0: Ethernet, microseconds */
		"01000000 14000000 0100 0000 ffff0000 14000000"
		/* IDB 1: LINKTYPE_RAW (101), if_tsresol 9 (ns) */
		"01000000 20000000 6500 0000 ffff0000 0900 0100 09000000 00000000 20000000"
		/* EPB if 1: 4 octets at 1 s + 5 ns */
		"06000000 24000000 01000000 00000000 05ca9a3b 04000000 04000000 60000000 24000000"
		/* EPB if 0: 4 octets at 2 s + 7 us */
		"06000000 24000000 00000000 00000000 87841e00 04000000 04000000 aabbccdd 24000000"
		/* SHB, big-endian; IDB 0: RAW; EPB at 3 s */
		"0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c"
		"00000001 00000014 0065 0000 0000ffff 00000014"
		"00000006 00000024 00000000 00000000 002dc6c0 00000004 00000004 60000001 00000024";
	uint8_t buf[400];
	size_t n = t_unhex(hex, buf, sizeof(buf));
	struct pio_frame f;
	struct pio_in *in;

	write_file(tmp("mixed.pcapng"), buf, n);
	in = pio_open_offline(tmp("mixed.pcapng"));
	CHECK_EQ(pio_dlt(in), 1);
	CHECK_EQ(pio_next(in, &f), 1);
	CHECK_EQ(f.dlt, DLT_RAW);
	CHECK_EQ(f.ts_sec, 1);
	CHECK_EQ(f.ts_nsec, 5);
	CHECK_EQ(f.data[0], 0x60);
	CHECK(pio_links_mixed(in));
	CHECK_EQ(pio_next(in, &f), 1);
	CHECK_EQ(f.dlt, 1);
	CHECK_EQ(f.ts_sec, 2);
	CHECK_EQ(f.ts_nsec, 7000);
	CHECK_EQ(f.data[3], 0xdd);
	CHECK_EQ(pio_next(in, &f), 1);
	CHECK_EQ(f.dlt, DLT_RAW);
	CHECK_EQ(f.ts_sec, 3);
	CHECK_EQ(f.ts_nsec, 0);
	CHECK_EQ(f.data[3], 0x01);
	CHECK_EQ(pio_next(in, &f), 0);
	pio_close(in);

	/* A packet for an interface never described is an error, not a guess. */
	buf[0x1c + 0x14 + 0x20 + 8] = 7;
	write_file(tmp("badif.pcapng"), buf, n);
	in = pio_open_offline(tmp("badif.pcapng"));
	CHECK_EQ(pio_next(in, &f), -1);
	CHECKF(strstr(pio_error(in), "interface 7") != NULL, "'%s'", pio_error(in));
	pio_close(in);
}

static void test_truncated_record(void)
{
	struct pio_frame f;
	struct pio_in *in;
	struct stat st;

	write_three(tmp("trunc.pcap"), 0);
	CHECK_EQ(stat(tmp("trunc.pcap"), &st), 0);
	/* Last record is 16 + 100 octets: cut in the middle of its data. */
	CHECK_EQ(truncate(tmp("trunc.pcap"), st.st_size - 50), 0);
	in = pio_open_offline(tmp("trunc.pcap"));
	check_three(in, false, 2);
	CHECK_EQ(pio_next(in, &f), -1);
	CHECKF(strstr(pio_error(in), "truncated") != NULL, "message '%s'", pio_error(in));
	pio_close(in);

	/* Cut inside a record header. */
	CHECK_EQ(truncate(tmp("trunc.pcap"), 24 + 16 + 60 + 5), 0);
	in = pio_open_offline(tmp("trunc.pcap"));
	check_three(in, false, 1);
	CHECK_EQ(pio_next(in, &f), -1);
	CHECKF(strstr(pio_error(in), "truncated") != NULL, "message '%s'", pio_error(in));
	pio_close(in);
}

static void test_bad_files(void)
{
	char err[PIO_ERRLEN];
	static const char garbage[] = "this is not a capture file at all, just text\n";

	CHECK(pio_try_open_offline(tmp("missing.pcap"), err) == NULL);
	CHECKF(strstr(err, "missing.pcap") && strstr(err, "No such file"), "'%s'", err);

	write_file(tmp("garbage.pcap"), garbage, sizeof(garbage) - 1);
	CHECK(pio_try_open_offline(tmp("garbage.pcap"), err) == NULL);
	CHECKF(strstr(err, "not a pcap or pcapng capture") != NULL, "'%s'", err);

	write_file(tmp("empty.pcap"), "", 0);
	CHECK(pio_try_open_offline(tmp("empty.pcap"), err) == NULL);
	CHECKF(strstr(err, "empty file") != NULL, "'%s'", err);

	/* A header cut short is not a capture either. */
	write_three(tmp("short.pcap"), 0);
	CHECK_EQ(truncate(tmp("short.pcap"), 10), 0);
	CHECK(pio_try_open_offline(tmp("short.pcap"), err) == NULL);
	CHECKF(strlen(err) > 0, "no message");

	CHECK(pio_try_open_offline(dir, err) == NULL);	/* a directory */
	CHECKF(strlen(err) > 0, "no message");
}

static void test_stdin(void)
{
	struct pio_in *in;
	int fd, saved = dup(0);

	write_three(tmp("stdin.pcap"), 0);
	fd = open(tmp("stdin.pcap"), O_RDONLY);
	CHECK(fd >= 0);
	dup2(fd, 0);
	close(fd);
	in = pio_open_offline("-");
	check_three(in, false, 3);
	pio_close(in);
	dup2(saved, 0);
	close(saved);
}

static void test_dump_write_error(void)
{
	char err[PIO_ERRLEN];
	uint8_t data[1500] = { 0 };
	struct pio_frame f = { data, sizeof(data), sizeof(data), 1, 0 };
	struct pio_dump *d;
	int rc = 0;

	CHECK(pio_try_dump_open("/nonexistent-dir/x.pcap", 1, 0, 0, err) == NULL);
	CHECKF(strstr(err, "nonexistent-dir") != NULL, "'%s'", err);
	d = pio_try_dump_open("/dev/full", 1, 0, 0, err);
	CHECK(d != NULL);
	if (!d)
		return;
	for (int i = 0; i < 100; i++)	/* more than stdio buffers */
		rc |= pio_dump_write(d, &f);
	CHECK(rc != 0 || pio_dump_flush(d) != 0);
	CHECKF(strstr(pio_dump_error(d), "write error") != NULL, "'%s'", pio_dump_error(d));
	CHECK_EQ(pio_dump_close(d), -1);
}

static void test_absent_interface(void)
{
	char err[PIO_ERRLEN];
	int code = 0;

	CHECK(pio_try_open_live("v6knosuch0", NULL, 0, err, &code) == NULL);
	CHECK_EQ(code, EXIT_RESOURCE);
	CHECKF(strstr(err, "v6knosuch0") != NULL, "'%s'", err);
	code = 0;
	CHECK(pio_try_tx_open("v6knosuch0", PIO_TX_PACKET, err, &code) == NULL);
	CHECK_EQ(code, EXIT_RESOURCE);
	CHECKF(strstr(err, "no such interface") != NULL, "'%s'", err);
	code = 0;
	CHECK(pio_try_tx_open("v6knosuch0", PIO_TX_PCAP, err, &code) == NULL);
	CHECK_EQ(code, EXIT_RESOURCE);
}

static void test_bad_filter(void)
{
	char err[PIO_ERRLEN];
	int code = 0;
	struct pio_in *in;

	if (geteuid() != 0) {	/* needs capture privilege to get that far */
		printf("# skipped: not root\n");
		return;
	}
	in = pio_try_open_live("lo", "this is not bpf", 0, err, &code);
	CHECK(in == NULL);
	CHECK_EQ(code, EXIT_USAGE);
	CHECKF(strstr(err, "bad capture filter") != NULL, "'%s'", err);
	in = pio_try_open_live("lo", "ip6 and udp", PIO_IMMEDIATE | PIO_NONBLOCK, err, &code);
	CHECK(in != NULL);
	if (in) {
		struct pio_frame f;
		uint64_t r = 99, d = 99;

		CHECK(pio_fd(in) >= 0);
		CHECK_EQ(pio_dlt(in), 1);
		CHECK(pio_next(in, &f) >= 0);
		CHECK_EQ(pio_stats(in, &r, &d), 0);
		CHECK(d != 99);
		pio_close(in);
	}
}

/* Inject a frame on lo with each sender and see it in a live capture. */
static void live_roundtrip(enum pio_tx_kind kind)
{
	uint8_t frame[64] = { 0 };
	char err[PIO_ERRLEN];
	int code = 0, seen = 0;
	uint32_t tag;
	struct pio_in *in;
	struct pio_tx *tx;

	v6_random(&tag, sizeof(tag));
	/* dst/src MAC 0, EtherType 0x88b5 (IEEE local experimental): no stack
	 * on the host acts on it. */
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, &tag, sizeof(tag));
	frame[18] = (uint8_t)kind;
	in = pio_try_open_live("lo", "ether proto 0x88b5", PIO_IMMEDIATE, err, &code);
	CHECKF(in != NULL, "%s", err);
	tx = pio_try_tx_open("lo", kind, err, &code);
	CHECKF(tx != NULL, "%s", err);
	if (!in || !tx)
		goto out;
	CHECK_EQ(pio_tx_kind(tx), kind);
	CHECK_EQ(pio_tx_ifindex(tx), (int)if_nametoindex("lo"));
	CHECK(pio_tx_fd(tx) >= 0);
	CHECK_EQ(pio_tx_send(tx, frame, sizeof(frame)), 0);
	for (uint64_t end = now_mono_us() + 3000000; now_mono_us() < end && !seen;) {
		struct pio_frame f;
		int rc = pio_next(in, &f);

		CHECK(rc >= 0);
		if (rc < 0)
			break;
		if (rc == 1 && f.caplen == sizeof(frame) && !memcmp(f.data, frame, sizeof(frame)))
			seen++;
	}
	CHECK(seen);
	uint64_t sent, bytes, failed, recv, drop;
	pio_tx_counters(tx, &sent, &bytes, &failed);
	CHECK_EQ(sent, 1);
	CHECK_EQ(bytes, sizeof(frame));
	CHECK_EQ(failed, 0);
	CHECK_EQ(pio_stats(in, &recv, &drop), 0);
	CHECK(recv >= 1);
	/* Larger than lo's MTU allows: an error code, not a crash or exit. */
	static uint8_t huge[70000];
	CHECK(pio_tx_send(tx, huge, sizeof(huge)) < 0);
	pio_tx_counters(tx, &sent, &bytes, &failed);
	CHECK_EQ(failed, 1);
out:
	pio_tx_close(tx);
	pio_close(in);
}

static void test_live_inject_packet(void)
{
	if (geteuid() != 0) {
		printf("# skipped: not root\n");
		return;
	}
	live_roundtrip(PIO_TX_PACKET);
}

static void test_live_inject_pcap(void)
{
	if (geteuid() != 0) {
		printf("# skipped: not root\n");
		return;
	}
	live_roundtrip(PIO_TX_PCAP);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_pcap_roundtrip_usec);
	RUN(test_pcap_roundtrip_nsec);
	RUN(test_snaplen_clips);
	RUN(test_pcapng);
	RUN(test_pcapng_mixed);
	RUN(test_truncated_record);
	RUN(test_bad_files);
	RUN(test_stdin);
	RUN(test_dump_write_error);
	RUN(test_absent_interface);
	RUN(test_bad_filter);
	RUN(test_live_inject_packet);
	RUN(test_live_inject_pcap);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
