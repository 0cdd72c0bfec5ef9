/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints what one profile download costs (design.md "Performance targets"):
 * the STORE DATA commands that carried the bound profile package against the
 * ⌈bytes/255⌉ minimum of its segments, the APDUs of the whole download, the
 * bytes exchanged with the SM-DP+, the HTTPS connections and TLS handshakes
 * (goal 1: one), and the wall time.  The real download flow, the software
 * eUICC (test-PKI credentials) and the test SM-DP+ over HTTPS on 127.0.0.1.
 * Figures, not asserts: `meson test -C build --benchmark --verbose`.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-ci-store.h"
#include "esim-download.h"
#include "esim-es9p-client.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-test-wait.h"
#include "esim-tls-database.h"
#include "esim-veuicc.h"

#define HOST           "localhost"
#define INS_STORE_DATA 0xE2

/* ---- a channel that counts the STORE DATA commands it carries ---- */

#define BENCH_TYPE_COUNTING_CHANNEL (bench_counting_channel_get_type ())
G_DECLARE_FINAL_TYPE (BenchCountingChannel, bench_counting_channel, BENCH, COUNTING_CHANNEL,
                      GObject)

struct _BenchCountingChannel {
	GObject      parent_instance;
	EsimChannel *inner;
	guint        store_data;
	guint        apdus;
	guint64      bytes_to_card;
};

static void bench_counting_channel_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (BenchCountingChannel, bench_counting_channel, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL,
                                                bench_counting_channel_iface_init))

static const gchar *
counting_get_transport (EsimChannel *channel)
{
	return esim_channel_get_transport (BENCH_COUNTING_CHANNEL (channel)->inner);
}

static void
counting_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
	esim_channel_open_async (BENCH_COUNTING_CHANNEL (channel)->inner, aid, cancellable, callback,
	                         user_data);
}

static gint
counting_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return esim_channel_open_finish (BENCH_COUNTING_CHANNEL (channel)->inner, res, error);
}

static void
counting_transmit_async (EsimChannel *channel, gint number, GBytes *command,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
	BenchCountingChannel *self = BENCH_COUNTING_CHANNEL (channel);
	gsize len = 0;
	const guint8 *apdu = g_bytes_get_data (command, &len);

	self->apdus++;
	self->bytes_to_card += len;
	if (len > 1 && apdu[1] == INS_STORE_DATA)
		self->store_data++;
	esim_channel_transmit_async (self->inner, number, command, cancellable, callback, user_data);
}

static GBytes *
counting_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return esim_channel_transmit_finish (BENCH_COUNTING_CHANNEL (channel)->inner, res, error);
}

static void
counting_close_async (EsimChannel *channel, gint number, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
	esim_channel_close_async (BENCH_COUNTING_CHANNEL (channel)->inner, number, cancellable,
	                          callback, user_data);
}

static gboolean
counting_close_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return esim_channel_close_finish (BENCH_COUNTING_CHANNEL (channel)->inner, res, error);
}

static void
bench_counting_channel_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = counting_get_transport;
	iface->open_async = counting_open_async;
	iface->open_finish = counting_open_finish;
	iface->transmit_async = counting_transmit_async;
	iface->transmit_finish = counting_transmit_finish;
	iface->close_async = counting_close_async;
	iface->close_finish = counting_close_finish;
}

static void
bench_counting_channel_finalize (GObject *object)
{
	g_clear_object (&BENCH_COUNTING_CHANNEL (object)->inner);
	G_OBJECT_CLASS (bench_counting_channel_parent_class)->finalize (object);
}

static void
bench_counting_channel_class_init (BenchCountingChannelClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = bench_counting_channel_finalize;
}

static void
bench_counting_channel_init (BenchCountingChannel *self)
{
}

/* ---- one download ---- */

typedef struct {
	BenchCountingChannel *channel;
	guint store_data_at_load;   /* STORE DATA count when the package started */
	gboolean load_seen;
} Run;

static void
on_progress (EsimDownloadStep step, guint percent, gpointer user_data)
{
	Run *run = user_data;

	if (step == ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE && !run->load_seen) {
		run->load_seen = TRUE;
		run->store_data_at_load = run->channel->store_data;
	}
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

typedef struct {
	EsimTestSmdp         *smdp;
	EsimVeuicc           *card;
	EsimChannelVirtual   *virtual;
	BenchCountingChannel *channel;
	EsimIsdr             *isdr;
	EsimEs9pClient       *client;
} Bench;

static void
bench_clear (Bench *b)
{
	g_clear_object (&b->client);
	g_clear_object (&b->isdr);
	g_clear_object (&b->channel);
	g_clear_object (&b->virtual);
	g_clear_object (&b->card);
	g_clear_object (&b->smdp);
}

/* The SM-DP+ with @order, the card over a counting channel, and the ES9+ client with
 * the eUICC's trust as esimd builds it. */
static gboolean
bench_set_up (Bench *b, const gchar *pki_dir, const EsimTestSmdpOrder *order, GError **error)
{
	EsimTestSmdpOptions smdp_options = { .pki_dir = pki_dir, .host = HOST };
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir };
	g_autofree gchar *ci_path = g_build_filename (pki_dir, "CertificateIssuer",
	                                              "CERT_CI_ECDSA_NIST.der", NULL);
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GTlsDatabase) trust = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GBytes) ci_bytes = NULL;
	g_autofree gchar *ci = NULL;
	gsize ci_len = 0;

	b->smdp = esim_test_smdp_new (&smdp_options, error);
	if (b->smdp == NULL || !esim_test_smdp_listen (b->smdp, "127.0.0.1:0", error) ||
	    !esim_test_smdp_add_order (b->smdp, order, error))
		return FALSE;
	b->card = esim_veuicc_new_ephemeral_full (&card_options, error);
	if (b->card == NULL)
		return FALSE;
	b->virtual = esim_channel_virtual_new (b->card);
	b->channel = g_object_new (BENCH_TYPE_COUNTING_CHANNEL, NULL);
	b->channel->inner = g_object_ref (ESIM_CHANNEL (b->virtual));
	b->isdr = esim_isdr_new (ESIM_CHANNEL (b->channel));
	esim_isdr_open_async (b->isdr, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the ISD-R to open");
	if (!esim_isdr_open_finish (b->isdr, res, error))
		return FALSE;
	esim_es10_get_euicc_info1 (b->isdr, NULL, store_result, &res2);
	esim_test_wait_until (res2 != NULL, "GetEUICCInfo1");
	info1 = esim_es10_get_euicc_info1_finish (b->isdr, res2, error);
	if (info1 == NULL || !g_file_get_contents (ci_path, &ci, &ci_len, error))
		return FALSE;
	ci_bytes = g_bytes_new (ci, ci_len);
	if (!esim_ci_store_add_certificate (store, ci_bytes, ci_path, error))
		return FALSE;
	trust = esim_tls_database_new (store, info1->ci_pkids_verification, NULL);
	b->client = esim_es9p_client_new (esim_test_smdp_get_address (b->smdp), trust, error);
	return b->client != NULL;
}

static void
report (const gchar *label, Bench *b, Run *run, EsimDownloadResult *result, guint apdus,
        guint64 bytes_to_card, gint64 microseconds)
{
	EsimHttpCounters counters;

	esim_http_client_get_counters (esim_es9p_client_get_http (b->client), &counters);
	g_print ("%s\n", label);
	g_print ("  bound profile package           %8" G_GSIZE_FORMAT " bytes in %u segments\n",
	         result->package_size, result->n_segments);
	g_print ("  STORE DATA for the package      %8u commands (minimum: sum of ceil(segment/255) = %u)\n",
	         b->channel->store_data - run->store_data_at_load, result->store_data_minimum);
	g_print ("  APDUs of the whole download     %8u (%" G_GUINT64_FORMAT " bytes to the card)\n",
	         apdus, bytes_to_card);
	g_print ("  HTTPS requests                  %8u\n", counters.requests);
	g_print ("  connections opened              %8u (TLS handshakes %u, resumed %u)\n",
	         counters.connections, counters.tls_handshakes, counters.tls_handshakes_resumed);
	g_print ("  HTTP bytes sent / received      %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n",
	         counters.http_bytes_sent, counters.http_bytes_received);
	g_print ("  TCP payload sent / received     %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	         "%s\n", counters.wire_bytes_sent, counters.wire_bytes_received,
	         counters.wire_bytes_sent == 0 ? " (no TCP_INFO byte counts here)" : "");
	g_print ("  wall time                       %8.1f ms\n", microseconds / 1000.0);
}

static gboolean
bench_one (const gchar *pki_dir, const gchar *label, const EsimTestSmdpOrder *order)
{
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadParams params = { 0 };
	Bench b = { 0 };
	Run run = { 0 };
	gint64 start;
	guint apdus_before;
	guint64 bytes_before;

	if (!bench_set_up (&b, pki_dir, order, &error)) {
		g_printerr ("%s: %s\n", label, error->message);
		bench_clear (&b);
		return FALSE;
	}
	params.smdp_address = esim_test_smdp_get_address (b.smdp);
	params.matching_id = order->matching_id;
	run.channel = b.channel;
	apdus_before = b.channel->apdus;
	bytes_before = b.channel->bytes_to_card;
	start = g_get_monotonic_time ();
	esim_download_async (b.isdr, ESIM_RSP_SERVER (b.client), &params, on_progress, &run, NULL,
	                     store_result, &res);
	esim_test_wait_until_ms (120000, res != NULL, "the download");
	result = esim_download_finish (res, NULL, &error);
	if (result == NULL)
		g_printerr ("%s: %s\n", label, error->message);
	else
		report (label, &b, &run, result, b.channel->apdus - apdus_before,
		        b.channel->bytes_to_card - bytes_before, g_get_monotonic_time () - start);
	bench_clear (&b);
	return result != NULL;
}

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions pki_options = { .smdp_host = HOST };
	EsimTestSmdpOrder small = { .matching_id = "BENCH-4K" };
	EsimTestSmdpOrder large = { .matching_id = "BENCH-100K", .profile_size = 100000 };
	EsimTestSmdpOrder protected_order = { .matching_id = "BENCH-PPP-100K", .profile_size = 100000,
	                                      .protect_in_advance = TRUE };
	g_autofree gchar *pki_dir = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	/* no proxy lookups (libproxy, desktop settings) while measuring */
	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	pki_dir = g_dir_make_tmp ("bench-download-XXXXXX", &error);
	if (pki_dir == NULL || !esim_test_pki_write (pki_dir, &pki_options, NULL, &error)) {
		g_printerr ("test PKI: %s\n", error->message);
		return 1;
	}
	ok = bench_one (pki_dir, "download of a 4 KB profile", &small) &&
	     bench_one (pki_dir, "download of a 100 KB profile", &large) &&
	     bench_one (pki_dir, "download of a 100 KB profile protected in advance", &protected_order);
	rm_rf (pki_dir);
	return ok ? 0 : 1;
}
