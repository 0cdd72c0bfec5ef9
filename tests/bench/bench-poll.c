/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints what an eIM poll costs (design.md "Performance targets"), with the
 * real poll-cycle flow (src/flows/esim-poll-cycle.h), the software eUICC
 * behind a channel that counts every APDU, and the test eIM over real TLS on
 * 127.0.0.1 in this process:
 *   1. a cycle carrying one PSMO (enable) on a cold client: HTTPS connections
 *      (target: one from GetEimPackage to the acknowledgement), TLS
 *      handshakes, bytes, APDUs (target: <= 16);
 *   2. an empty poll on a warm client (the same EsimEsipaClient, the
 *      EsimPollCache filled): APDUs (goal <= 2), bytes (goal <= 1.5 KB on the
 *      wire), whether the TLS session was resumed;
 *   3. the real esimd on a private bus: an empty Euicc.Poll() once warm, and
 *      `esimd --poll-once` from a cold start, with one PSMO and empty: the
 *      eIM's counters, and APDUs from esimd's debug log
 *      (BENCH_POLL_KEEP=1 keeps its state and log).
 * Each poll is what the daemon does: the ISD-R channel opened, the cycle,
 * the channel closed (esimd closes idle channels); the cycle's own APDUs are
 * printed apart from the channel's.
 *
 * No g_test_init() here: glib-networking keeps no TLS session in a GTest
 * program (gtlsclientconnection-gnutls.c compute_session_id), so a warm poll
 * would never resume.  Figures, not asserts:
 * `meson test -C build --benchmark --verbose`.
 */

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-es10.h"
#include "esim-poll-cycle.h"
#include "esim-tags.h"
#include "esim-test-eim.h"
#include "esim-test-pki.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"

#define DISABLED_ICCID     "89444765000000000223"
#define INS_MANAGE_CHANNEL 0x70
#define INS_SELECT         0xA4
#define INS_STORE_DATA     0xE2
#define INS_GET_RESPONSE   0xC0
#define WAIT_MS            60000

/* ---- a channel that counts every APDU ---- */

/* open/close are left unset, as in the virtual backend: esim-channel.c sends
 * MANAGE CHANNEL and SELECT through transmit, so they are counted too. */
#define BENCH_TYPE_COUNTING_CHANNEL (bench_counting_channel_get_type ())
G_DECLARE_FINAL_TYPE (BenchCountingChannel, bench_counting_channel, BENCH, COUNTING_CHANNEL,
                      GObject)

typedef struct {
	guint   apdus;
	guint   store_data;
	guint   get_response;
	guint   manage_channel;
	guint   select;
	guint64 bytes_to_card;
	guint64 bytes_from_card;
} ApduCounts;

struct _BenchCountingChannel {
	GObject      parent_instance;
	EsimChannel *inner;
	ApduCounts   counts;
	GString     *es10;     /* the ES10 functions called (first STORE DATA block's tag) */
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

static const gchar *
es10_name (guint tag)
{
	switch (tag) {
	case ESIM_TAG_GET_EID:                    return "GetEID";
	case ESIM_TAG_RETRIEVE_NOTIFICATIONS:     return "RetrieveNotificationsList";
	case ESIM_TAG_REMOVE_NOTIFICATION:        return "RemoveNotificationFromList";
	case ESIM_TAG_LOAD_EUICC_PACKAGE:         return "LoadEuiccPackage";
	case ESIM_TAG_GET_EIM_CONFIGURATION_DATA: return "GetEimConfigurationData";
	case ESIM_TAG_GET_PROFILES_INFO:          return "GetProfilesInfo";
	case ESIM_TAG_GET_EUICC_INFO1:            return "GetEUICCInfo1";
	case ESIM_TAG_GET_EUICC_INFO2:            return "GetEUICCInfo2";
	default:                                  return NULL;
	}
}

/* "GetEID" or "BFxx" for the first block of a STORE DATA (P2, the block number, 0). */
static void
note_es10 (GString *out, const guint8 *apdu, gsize len)
{
	guint tag;
	const gchar *name;

	if (len < 7 || apdu[3] != 0)
		return;
	tag = apdu[5];
	if ((tag & 0x1F) == 0x1F)
		tag = (tag << 8) | apdu[6];
	name = es10_name (tag);
	if (out->len > 0)
		g_string_append (out, ", ");
	if (name != NULL)
		g_string_append (out, name);
	else
		g_string_append_printf (out, "%X", tag);
}

static void
count_apdu (ApduCounts *counts, GString *es10, const guint8 *apdu, gsize len)
{
	counts->apdus++;
	counts->bytes_to_card += len;
	if (len < 2)
		return;
	if (apdu[1] == INS_STORE_DATA) {
		counts->store_data++;
		if (es10 != NULL)
			note_es10 (es10, apdu, len);
	} else if (apdu[1] == INS_GET_RESPONSE) {
		/* one '+' per GET RESPONSE after the function it continues */
		counts->get_response++;
		if (es10 != NULL)
			g_string_append_c (es10, '+');
	} else if (apdu[1] == INS_MANAGE_CHANNEL) {
		counts->manage_channel++;
	} else if (apdu[1] == INS_SELECT) {
		counts->select++;
	}
}

static void
counting_transmit_async (EsimChannel *channel, gint number, GBytes *command,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
	BenchCountingChannel *self = BENCH_COUNTING_CHANNEL (channel);
	gsize len = 0;
	const guint8 *apdu = g_bytes_get_data (command, &len);

	count_apdu (&self->counts, self->es10, apdu, len);
	esim_channel_transmit_async (self->inner, number, command, cancellable, callback, user_data);
}

static GBytes *
counting_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	BenchCountingChannel *self = BENCH_COUNTING_CHANNEL (channel);
	GBytes *response = esim_channel_transmit_finish (self->inner, res, error);

	if (response != NULL)
		self->counts.bytes_from_card += g_bytes_get_size (response);
	return response;
}

static void
bench_counting_channel_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = counting_get_transport;
	iface->transmit_async = counting_transmit_async;
	iface->transmit_finish = counting_transmit_finish;
}

static void
bench_counting_channel_finalize (GObject *object)
{
	BenchCountingChannel *self = BENCH_COUNTING_CHANNEL (object);

	g_clear_object (&self->inner);
	g_string_free (self->es10, TRUE);
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
	self->es10 = g_string_new (NULL);
}

static BenchCountingChannel *
bench_counting_channel_new (EsimChannel *inner)
{
	BenchCountingChannel *self = g_object_new (BENCH_TYPE_COUNTING_CHANNEL, NULL);

	self->inner = g_object_ref (inner);
	return self;
}

static ApduCounts
apdu_counts_diff (const ApduCounts *after, const ApduCounts *before)
{
	ApduCounts d = {
		.apdus = after->apdus - before->apdus,
		.store_data = after->store_data - before->store_data,
		.get_response = after->get_response - before->get_response,
		.manage_channel = after->manage_channel - before->manage_channel,
		.select = after->select - before->select,
		.bytes_to_card = after->bytes_to_card - before->bytes_to_card,
		.bytes_from_card = after->bytes_from_card - before->bytes_from_card,
	};

	return d;
}

/* ---- the lab: test PKI, test eIM, software eUICC with the eIM ---- */

typedef struct {
	gchar                *pki_dir;
	EsimTestEim          *eim;
	EsimVeuicc           *card;
	EsimChannelVirtual   *virtual;
	BenchCountingChannel *channel;
	EsimIsdr             *isdr;
	EsimEimConfig        *config;
	EsimEsipaClient      *client;
	EsimEimPackageEnv     env;
	EsimPollCycleOptions  options;
	EsimPollCache         cache;
} Bench;

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

static EsimCert *
load_cert (const gchar *pki_dir, const gchar *dir, const gchar *file, GError **error)
{
	g_autofree gchar *path = g_build_filename (pki_dir, dir, file, NULL);

	return esim_cert_new_from_file (path, error);
}

/* The eIM knows the card: its certificate verifies the results. */
static gboolean
eim_learn_card (EsimTestEim *eim, const gchar *pki_dir, const gchar *eid, GError **error)
{
	g_autoptr(EsimCert) euicc = load_cert (pki_dir, "eUICC", "CERT_EUICC_ECDSA_NIST.der", error);

	return euicc != NULL && esim_test_eim_add_euicc (eim, eid, error) &&
	       esim_test_eim_set_euicc_certificate (eim, eid, euicc, error);
}

static gboolean
isdr_open (EsimIsdr *isdr, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_isdr_open_async (isdr, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the ISD-R to open");
	return esim_isdr_open_finish (isdr, res, error);
}

static gboolean
isdr_close (EsimIsdr *isdr, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_isdr_close_async (isdr, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the ISD-R to close");
	return esim_isdr_close_finish (isdr, res, error);
}

/* AddInitialEim with the test eIM's configuration, on an open ISD-R. */
static gboolean
add_initial_eim (EsimTestEim *eim, EsimIsdr *isdr, GError **error)
{
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	g_autoptr(GBytes) bf57 = esim_test_eim_build_add_initial_eim (eim, &config_options, error);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GArray) results = NULL;

	if (bf57 == NULL)
		return FALSE;
	esim_es10_add_initial_eim (isdr, bf57, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "AddInitialEim");
	results = esim_es10_add_initial_eim_finish (isdr, res, error);
	return results != NULL;
}

static void
bench_clear (Bench *b)
{
	g_clear_object (&b->client);
	g_clear_pointer (&b->config, esim_eim_config_free);
	g_clear_object (&b->isdr);
	g_clear_object (&b->channel);
	g_clear_object (&b->virtual);
	g_clear_object (&b->card);
	g_clear_object (&b->eim);
	esim_poll_cache_clear (&b->cache);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static gboolean
bench_set_up (Bench *b, const gchar *pki_dir, GError **error)
{
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir };
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	g_autoptr(GBytes) config_der = NULL;

	b->pki_dir = g_strdup (pki_dir);
	b->eim = esim_test_eim_new (NULL, error);
	b->card = b->eim != NULL ? esim_veuicc_new_ephemeral_full (&card_options, error) : NULL;
	if (b->card == NULL || !eim_learn_card (b->eim, pki_dir, esim_veuicc_get_eid (b->card), error))
		return FALSE;
	b->virtual = esim_channel_virtual_new (b->card);
	b->channel = bench_counting_channel_new (ESIM_CHANNEL (b->virtual));
	b->isdr = esim_isdr_new (ESIM_CHANNEL (b->channel));
	/* the card gets the eIM; the IPA reaches it as the card lists it */
	if (!isdr_open (b->isdr, error) || !add_initial_eim (b->eim, b->isdr, error) ||
	    !isdr_close (b->isdr, error))
		return FALSE;
	config_der = esim_test_eim_build_configuration (b->eim, &config_options, error);
	if (config_der == NULL)
		return FALSE;
	b->config = esim_es10_parse_eim_config (g_bytes_get_data (config_der, NULL),
	                                        g_bytes_get_size (config_der), error);
	/* the client as esimd makes it: the defaults */
	b->client = b->config != NULL ? esim_esipa_client_new (b->config, NULL, error) : NULL;
	if (b->client == NULL)
		return FALSE;
	b->options.client = b->client;
	b->options.env = &b->env;
	b->options.state_change_cause = -1;
	return TRUE;
}

/* ---- one poll, measured ---- */

typedef struct {
	ApduCounts         channel;     /* open + cycle + close */
	ApduCounts         cycle;       /* the cycle alone */
	gchar             *es10;        /* the cycle's ES10 functions */
	EsimHttpCounters   http;        /* the client's */
	EsimTestEimCounters eim;        /* the eIM's */
	EsimPollReport    *report;
} PollFigures;

static void
poll_figures_clear (PollFigures *f)
{
	g_free (f->es10);
	g_clear_pointer (&f->report, esim_poll_report_free);
}

static EsimHttpCounters
http_counters_diff (const EsimHttpCounters *after, const EsimHttpCounters *before)
{
	EsimHttpCounters d = {
		.requests = after->requests - before->requests,
		.connections = after->connections - before->connections,
		.tls_handshakes = after->tls_handshakes - before->tls_handshakes,
		.tls_handshakes_resumed = after->tls_handshakes_resumed - before->tls_handshakes_resumed,
		.http_bytes_sent = after->http_bytes_sent - before->http_bytes_sent,
		.http_bytes_received = after->http_bytes_received - before->http_bytes_received,
		.wire_bytes_sent = after->wire_bytes_sent - before->wire_bytes_sent,
		.wire_bytes_received = after->wire_bytes_received - before->wire_bytes_received,
	};

	return d;
}

typedef struct {
	EsimTestEim        *eim;
	EsimTestEimCounters last;
	gint64              stable_since;
} SettleWait;

/* The eIM counts in its connection threads: its counters unchanged for 200 ms. */
static gboolean
eim_counters_settled (gpointer user_data)
{
	SettleWait *wait = user_data;
	EsimTestEimCounters now;

	esim_test_eim_get_counters (wait->eim, &now);
	if (memcmp (&now, &wait->last, sizeof (now)) != 0) {
		wait->last = now;
		wait->stable_since = g_get_monotonic_time ();
		return FALSE;
	}
	return g_get_monotonic_time () - wait->stable_since > 200000;
}

static void
eim_settle (EsimTestEim *eim, EsimTestEimCounters *counters)
{
	SettleWait wait = { .eim = eim, .stable_since = g_get_monotonic_time () };

	esim_test_eim_get_counters (eim, &wait.last);
	esim_test_wait_until_func (WAIT_MS, eim_counters_settled, &wait, "the eIM's counters to settle");
	*counters = wait.last;
}

/* The ISD-R opened, one cycle, the channel closed, as esimd runs a poll. */
static gboolean
measure_poll (Bench *b, PollFigures *f, GError **error)
{
	EsimHttpClient *http = esim_esipa_client_get_http (b->client);
	ApduCounts at_start = b->channel->counts, cycle_start, cycle_end;
	EsimHttpCounters http_before, http_after;
	g_autoptr(GAsyncResult) res = NULL;

	memset (f, 0, sizeof (*f));
	eim_settle (b->eim, &f->eim);
	esim_test_eim_reset_counters (b->eim);
	esim_http_client_get_counters (http, &http_before);
	if (!isdr_open (b->isdr, error))
		return FALSE;
	cycle_start = b->channel->counts;
	g_string_truncate (b->channel->es10, 0);
	esim_poll_cycle_async (b->isdr, &b->options, &b->cache, NULL, store_result, &res);
	esim_test_wait_until_ms (WAIT_MS, res != NULL, "the poll cycle");
	f->report = esim_poll_cycle_finish (res, error);
	cycle_end = b->channel->counts;
	f->es10 = g_strdup (b->channel->es10->str);
	if (f->report == NULL || !isdr_close (b->isdr, error))
		return FALSE;
	/* libsoup closes in idle callbacks; the wire counts are final then */
	while (g_main_context_iteration (NULL, FALSE))
		;
	esim_http_client_get_counters (http, &http_after);
	f->http = http_counters_diff (&http_after, &http_before);
	f->cycle = apdu_counts_diff (&cycle_end, &cycle_start);
	f->channel = apdu_counts_diff (&b->channel->counts, &at_start);
	eim_settle (b->eim, &f->eim);
	return TRUE;
}

/* ---- printing ---- */

static gchar *
eim_requests (const EsimTestEimCounters *eim)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < ESIM_TEST_EIM_N_FUNCTIONS; i++) {
		if (eim->function_requests[i] == 0)
			continue;
		g_string_append_printf (out, "%s%s %u", out->len > 0 ? ", " : "",
		                        esim_test_eim_function_name (1u << i), eim->function_requests[i]);
	}
	return g_string_free (out, FALSE);
}

static void
print_network (const EsimHttpCounters *http, const EsimTestEimCounters *eim, const gchar *connection_target)
{
	g_autofree gchar *requests = eim_requests (eim);

	g_print ("  ESipa requests                  %8u (%s)\n", eim->requests, requests);
	g_print ("  HTTPS connections               %8u (the eIM accepted %u; target: %s)\n",
	         http->connections, eim->connections, connection_target);
	g_print ("  TLS handshakes                  %8u (full %u, resumed %u; the eIM: %u, resumed %u)\n",
	         http->tls_handshakes, http->tls_handshakes - http->tls_handshakes_resumed,
	         http->tls_handshakes_resumed, eim->tls_handshakes, eim->tls_handshakes_resumed);
	g_print ("  HTTP bytes sent / received      %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n",
	         http->http_bytes_sent, http->http_bytes_received);
	g_print ("  TCP payload sent / received     %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	         " (%" G_GUINT64_FORMAT " in total)%s\n", http->wire_bytes_sent,
	         http->wire_bytes_received, http->wire_bytes_sent + http->wire_bytes_received,
	         http->wire_bytes_sent == 0 ? " (no TCP_INFO byte counts here)" : "");
}

static void
print_apdus (const PollFigures *f, const gchar *target)
{
	g_print ("  APDUs of the cycle              %8u (STORE DATA %u, GET RESPONSE %u; %s)\n",
	         f->cycle.apdus, f->cycle.store_data, f->cycle.get_response, target);
	g_print ("    ES10 functions (+: a GET RESPONSE): %s\n", f->es10[0] != '\0' ? f->es10 : "none");
	g_print ("  APDUs with the channel          %8u (opening and closing the ISD-R channel: "
	         "MANAGE CHANNEL %u, SELECT %u, TERMINAL CAPABILITY %u)\n", f->channel.apdus,
	         f->channel.manage_channel, f->channel.select,
	         f->channel.apdus - f->cycle.apdus - f->channel.manage_channel - f->channel.select);
	g_print ("  bytes to / from the card        %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n",
	         f->channel.bytes_to_card, f->channel.bytes_from_card);
}

/* 1 and 2: the flow in this process. */
static gboolean
bench_flow (const gchar *pki_dir)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	PollFigures psmo = { 0 }, settle = { 0 }, empty = { 0 };
	Bench b = { 0 };
	gboolean ok = FALSE;
	guint64 wire;

	if (!bench_set_up (&b, pki_dir, &error))
		goto out;
	if (!esim_test_eim_package_add_enable (package, DISABLED_ICCID, FALSE, &error))
		goto out;
	esim_test_eim_queue (b.eim, esim_veuicc_get_eid (b.card), g_steal_pointer (&package));

	if (!measure_poll (&b, &psmo, &error))
		goto out;
	g_print ("poll cycle carrying one PSMO (enable), cold client (%u package, %u result, "
	         "%u notification(s) delivered, %u acknowledged)\n", psmo.report->packages,
	         psmo.report->results_delivered, psmo.report->notifications_delivered,
	         psmo.report->acknowledged);
	print_network (&psmo.http, &psmo.eim, "one from GetEimPackage to the acknowledgement");
	print_apdus (&psmo, "target <= 16");

	/* the poll esimd makes on the new profile, then an empty one: warm */
	if (!measure_poll (&b, &settle, &error) || !measure_poll (&b, &empty, &error))
		goto out;
	g_print ("empty poll on a warm client (the poll after the switch delivered %u result(s), "
	         "%u notification(s); %u APDUs, %u resumed handshake(s))\n",
	         settle.report->results_delivered, settle.report->notifications_delivered,
	         settle.cycle.apdus, settle.http.tls_handshakes_resumed);
	print_network (&empty.http, &empty.eim, "one");
	wire = empty.http.wire_bytes_sent + empty.http.wire_bytes_received;
	g_print ("  TLS session resumed             %8s (target: yes)\n",
	         empty.http.tls_handshakes_resumed > 0 ? "yes" : "no");
	g_print ("  bytes on the wire               %8" G_GUINT64_FORMAT " (target <= 1536; HTTP %"
	         G_GUINT64_FORMAT ", TLS and its handshake %" G_GUINT64_FORMAT ")\n", wire,
	         empty.http.http_bytes_sent + empty.http.http_bytes_received,
	         wire - empty.http.http_bytes_sent - empty.http.http_bytes_received);
	print_apdus (&empty, "goal <= 2");
	ok = TRUE;
out:
	if (error != NULL)
		g_printerr ("poll bench: %s\n", error->message);
	poll_figures_clear (&psmo);
	poll_figures_clear (&settle);
	poll_figures_clear (&empty);
	bench_clear (&b);
	g_free (b.pki_dir);
	return ok;
}

/* ---- 3: esimd --poll-once ---- */

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

/* The card esimd is given: a software eUICC file of the test PKI's credentials
 * with the eIM's configuration (AddInitialEim through the ES10 client). */
static gboolean
write_card (EsimTestEim *eim, const gchar *pki_dir, const gchar *path, gchar **eid, GError **error)
{
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir };
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file_full (path, TRUE, &card_options, error);
	g_autoptr(EsimChannelVirtual) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;

	if (card == NULL)
		return FALSE;
	channel = esim_channel_virtual_new (card);
	isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	if (!isdr_open (isdr, error) || !add_initial_eim (eim, isdr, error) || !isdr_close (isdr, error))
		return FALSE;
	*eid = g_strdup (esim_veuicc_get_eid (card));
	return eim_learn_card (eim, pki_dir, *eid, error);
}

/* The APDUs esimd sent, from its debug log with personal information
 * (src/lib/esim-isdr.c "ISD-R chN > HEX"; esim-channel.c "opened logical
 * channel N" for each MANAGE CHANNEL open + SELECT, closed again by the end
 * of --poll-once: one MANAGE CHANNEL close each). */
static void
count_log_apdus (const gchar *log, ApduCounts *counts, ApduCounts *cycle, GString *es10, guint *opens)
{
	g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
	gboolean in_cycle = FALSE;

	memset (counts, 0, sizeof (*counts));
	memset (cycle, 0, sizeof (*cycle));
	*opens = 0;
	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *line = lines[i];
		const gchar *hex;
		g_autoptr(GBytes) apdu = NULL;

		/* src/flows/esim-poll-cycle.c starts; the poller reports its end
		 * (src/daemon/core/esimd-poller.c) */
		if (strstr (line, ": poll cycle for eUICC") != NULL)
			in_cycle = TRUE;
		if (strstr (line, "package(s) executed") != NULL || strstr (line, ": nothing to do") != NULL)
			in_cycle = FALSE;
		if (strstr (line, "opened logical channel ") != NULL) {
			(*opens)++;
			continue;
		}
		if (strstr (line, "ISD-R ch") == NULL || (hex = strstr (line, " > ")) == NULL)
			continue;
		apdu = esim_hex_decode (hex + 3, NULL);
		if (apdu == NULL)
			continue;
		count_apdu (counts, es10, g_bytes_get_data (apdu, NULL), g_bytes_get_size (apdu));
		if (in_cycle)
			count_apdu (cycle, NULL, g_bytes_get_data (apdu, NULL), g_bytes_get_size (apdu));
	}
}

typedef struct {
	GSubprocess *process;
	gboolean     exited;
} Child;

static void
child_exited (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Child *child = user_data;

	g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
	child->exited = TRUE;
}

static gboolean
child_has_exited (gpointer user_data)
{
	return ((Child *) user_data)->exited;
}

/* esimd --poll-once on @card_path, the eIM served meanwhile by this main
 * loop; its debug log in @log_path.  The exit status, -1 when it had to be
 * killed. */
static gint
run_poll_once (const gchar *esimd, const gchar *work, const gchar *card_path, const gchar *log_path,
               GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
	g_autofree gchar *config = g_build_filename (work, "esimd.conf", NULL);
	g_autofree gchar *state = g_build_filename (work, "state", NULL);
	g_autofree gchar *config_dir = g_build_filename (work, "esimd.conf.d", NULL);
	g_autofree gchar *card_arg = g_strconcat ("--virtual-euicc=", card_path, NULL);
	g_autofree gchar *config_arg = g_strconcat ("--config=", config, NULL);
	g_autofree gchar *state_arg = g_strconcat ("--state-dir=", state, NULL);
	Child child = { 0 };

	if (!g_file_set_contents (config, "", 0, error))
		return -1;
	g_mkdir_with_parents (config_dir, 0700);
	/* the launcher writes over the file without truncating it */
	g_unlink (log_path);
	g_subprocess_launcher_setenv (launcher, "ESIMD_CONFIG_DIR", config_dir, TRUE);
	g_subprocess_launcher_unsetenv (launcher, "JOURNAL_STREAM");
	g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
	g_subprocess_launcher_set_stdout_file_path (launcher, "/dev/null");
	child.process = g_subprocess_launcher_spawn (launcher, error, esimd, "--session", "--poll-once",
	                                             "--debug", "--log-personal-info", card_arg,
	                                             config_arg, state_arg, NULL);
	if (child.process == NULL)
		return -1;
	g_subprocess_wait_async (child.process, NULL, child_exited, &child);
	if (!esim_test_wait_try (WAIT_MS, child_has_exited, &child)) {
		g_subprocess_force_exit (child.process);
		esim_test_wait_try (WAIT_MS, child_has_exited, &child);
		g_object_unref (child.process);
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "esimd --poll-once did not exit in %u s",
		             WAIT_MS / 1000);
		return -1;
	}
	{
		gint status = g_subprocess_get_if_exited (child.process) ?
		              g_subprocess_get_exit_status (child.process) : -1;

		g_object_unref (child.process);
		return status;
	}
}

/* One esimd --poll-once from a cold start, printed under @label. */
static gboolean
measure_poll_once (EsimTestEim *eim, const gchar *esimd, const gchar *work, const gchar *card_path,
                   const gchar *label, const gchar *apdu_target, GError **error)
{
	g_autofree gchar *log_path = g_build_filename (work, "esimd.log", NULL);
	g_autofree gchar *log = NULL;
	g_autofree gchar *requests = NULL;
	g_autoptr(GString) es10 = g_string_new (NULL);
	EsimTestEimCounters counters;
	ApduCounts apdus, cycle;
	guint opens;
	gint status;
	gint64 start;

	eim_settle (eim, &counters);
	esim_test_eim_reset_counters (eim);
	start = g_get_monotonic_time ();
	status = run_poll_once (esimd, work, card_path, log_path, error);
	if (status < 0)
		return FALSE;
	eim_settle (eim, &counters);
	if (!g_file_get_contents (log_path, &log, NULL, error))
		return FALSE;
	count_log_apdus (log, &apdus, &cycle, es10, &opens);
	requests = eim_requests (&counters);
	g_print ("%s: exit status %d in %.0f ms\n", label, status,
	         (g_get_monotonic_time () - start) / 1000.0);
	g_print ("  ESipa requests                  %8u (%s)\n", counters.requests, requests);
	g_print ("  HTTPS connections               %8u (the eIM's count)\n", counters.connections);
	g_print ("  TLS handshakes                  %8u (full %u, resumed %u)\n", counters.tls_handshakes,
	         counters.tls_handshakes - counters.tls_handshakes_resumed, counters.tls_handshakes_resumed);
	g_print ("  HTTP bytes sent / received      %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	         " (by esimd)\n", counters.http_bytes_received, counters.http_bytes_sent);
	g_print ("  TCP payload sent / received     %8" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	         " (%" G_GUINT64_FORMAT " in total)%s\n", counters.wire_bytes_received,
	         counters.wire_bytes_sent, counters.wire_bytes_received + counters.wire_bytes_sent,
	         counters.wire_bytes_sent == 0 ? " (no TCP_INFO byte counts here)" : "");
	g_print ("  APDUs on the ISD-R              %8u (STORE DATA %u, GET RESPONSE %u, other %u)\n",
	         apdus.apdus, apdus.store_data, apdus.get_response,
	         apdus.apdus - apdus.store_data - apdus.get_response);
	g_print ("    of the poll cycle             %8u (STORE DATA %u; %s)\n", cycle.apdus, cycle.store_data,
	         apdu_target);
	g_print ("    ES10 functions (+: a GET RESPONSE): %s\n", es10->len > 0 ? es10->str : "none");
	g_print ("  APDUs with the channel          %8u (%u channel(s) opened: MANAGE CHANNEL, SELECT, "
	         "MANAGE CHANNEL close each; from esimd's debug log)\n", apdus.apdus + 3 * opens, opens);
	return TRUE;
}

/* ---- 2b: esimd itself, warm ---- */

typedef struct {
	GDBusConnection *bus;
	GAsyncResult    *res;
} Call;

static gboolean
call_done (gpointer user_data)
{
	return ((Call *) user_data)->res != NULL;
}

/* Euicc.Poll() on esimd's first eUICC, the main loop serving the eIM meanwhile. */
static gboolean
euicc_poll (GDBusConnection *bus, GError **error)
{
	Call call = { .bus = bus };
	g_autoptr(GVariant) reply = NULL;

	g_dbus_connection_call (bus, "org.freedesktop.Esimd1", "/org/freedesktop/Esimd1/Euicc/0",
	                        "org.freedesktop.Esimd1.Euicc", "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"),
	                        G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, store_result, &call.res);
	if (!esim_test_wait_try (WAIT_MS, call_done, &call)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Euicc.Poll() never answered");
		return FALSE;
	}
	reply = g_dbus_connection_call_finish (bus, call.res, error);
	g_object_unref (call.res);
	return reply != NULL;
}

static gboolean
esimd_has_name (gpointer user_data)
{
	g_autoptr(GVariant) reply = NULL;
	gboolean has = FALSE;

	reply = g_dbus_connection_call_sync (user_data, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                                     "org.freedesktop.DBus", "NameHasOwner",
	                                     g_variant_new ("(s)", "org.freedesktop.Esimd1"),
	                                     G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 1000, NULL,
	                                     NULL);
	if (reply != NULL)
		g_variant_get (reply, "(b)", &has);
	return has;
}

/* esimd running (not --poll-once): after its start-up poll and one more, an
 * empty Euicc.Poll(): the eIM's counters and the APDUs esimd logged for it. */
static gboolean
measure_warm_daemon (EsimTestEim *eim, const gchar *esimd, const gchar *work, const gchar *card_path,
                     GTestDBus *test_bus, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
	g_autofree gchar *log_path = g_build_filename (work, "esimd-warm.log", NULL);
	g_autofree gchar *config = g_build_filename (work, "esimd.conf", NULL);
	g_autofree gchar *state = g_build_filename (work, "state", NULL);
	g_autofree gchar *config_dir = g_build_filename (work, "esimd.conf.d", NULL);
	g_autofree gchar *card_arg = g_strconcat ("--virtual-euicc=", card_path, NULL);
	g_autofree gchar *config_arg = g_strconcat ("--config=", config, NULL);
	g_autofree gchar *state_arg = g_strconcat ("--state-dir=", state, NULL);
	g_autofree gchar *log = NULL;
	g_autofree gchar *requests = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GString) es10 = g_string_new (NULL);
	g_autoptr(GSubprocess) process = NULL;
	EsimTestEimCounters counters;
	ApduCounts apdus, cycle;
	gsize log_before = 0;
	guint opens;
	gboolean ok = FALSE;
	Child child = { 0 };

	/* no scheduled poll gets in the way */
	if (!g_file_set_contents (config, "[eim]\nPollInterval=86400\nPollJitter=0\n", -1, error))
		return FALSE;
	g_mkdir_with_parents (config_dir, 0700);
	g_unlink (log_path);
	g_subprocess_launcher_setenv (launcher, "ESIMD_CONFIG_DIR", config_dir, TRUE);
	g_subprocess_launcher_unsetenv (launcher, "JOURNAL_STREAM");
	g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
	g_subprocess_launcher_set_stdout_file_path (launcher, "/dev/null");
	bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (test_bus),
	                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
	                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	                                              NULL, NULL, error);
	if (bus == NULL)
		return FALSE;
	process = g_subprocess_launcher_spawn (launcher, error, esimd, "--session", "--debug",
	                                       "--log-personal-info", card_arg, config_arg, state_arg,
	                                       NULL);
	if (process == NULL)
		return FALSE;
	if (!esim_test_wait_try (WAIT_MS, esimd_has_name, bus)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "esimd never took its bus name");
		goto out;
	}
	/* esimd polls a new eIM at start; two polls make it warm */
	if (!euicc_poll (bus, error) || !euicc_poll (bus, error))
		goto out;
	eim_settle (eim, &counters);
	esim_test_eim_reset_counters (eim);
	if (!g_file_get_contents (log_path, &log, &log_before, error))
		goto out;
	g_clear_pointer (&log, g_free);
	if (!euicc_poll (bus, error))
		goto out;
	eim_settle (eim, &counters);
	if (!g_file_get_contents (log_path, &log, NULL, error))
		goto out;
	count_log_apdus (log + log_before, &apdus, &cycle, es10, &opens);
	requests = eim_requests (&counters);
	g_print ("empty poll on a warm esimd (Euicc.Poll() after two polls)\n");
	g_print ("  ESipa requests                  %8u (%s)\n", counters.requests, requests);
	g_print ("  HTTPS connections               %8u (the eIM's count)\n", counters.connections);
	g_print ("  TLS session resumed             %8s (target: yes; handshakes %u, resumed %u)\n",
	         counters.tls_handshakes_resumed > 0 ? "yes" : "no", counters.tls_handshakes,
	         counters.tls_handshakes_resumed);
	g_print ("  bytes on the wire               %8" G_GUINT64_FORMAT " (target <= 1536; sent %"
	         G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT "; HTTP %" G_GUINT64_FORMAT ")\n",
	         counters.wire_bytes_received + counters.wire_bytes_sent, counters.wire_bytes_received,
	         counters.wire_bytes_sent, counters.http_bytes_received + counters.http_bytes_sent);
	g_print ("  APDUs on the ISD-R              %8u (goal <= 2; of the poll cycle %u)\n", apdus.apdus,
	         cycle.apdus);
	g_print ("    ES10 functions (+: a GET RESPONSE): %s\n", es10->len > 0 ? es10->str : "none");
	g_print ("  APDUs with the channel          %8u (%u channel(s) opened: MANAGE CHANNEL, SELECT, "
	         "MANAGE CHANNEL close each)\n", apdus.apdus + 3 * opens, opens);
	ok = TRUE;
out:
	child.process = process;
	g_subprocess_wait_async (process, NULL, child_exited, &child);
	g_subprocess_send_signal (process, SIGTERM);
	if (!esim_test_wait_try (WAIT_MS, child_has_exited, &child)) {
		g_subprocess_force_exit (process);
		esim_test_wait_try (WAIT_MS, child_has_exited, &child);
	}
	return ok;
}

/* 3: esimd --poll-once from a cold start, one PSMO, then empty. */
static gboolean
bench_esimd (const gchar *pki_dir)
{
	const gchar *esimd = g_getenv ("ESIMD");
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(GTestDBus) bus = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *work = NULL;
	g_autofree gchar *card_path = NULL;
	g_autofree gchar *eid = NULL;
	gboolean ok = FALSE;

	if (esimd == NULL) {
		g_print ("esimd --poll-once: not measured: $ESIMD is not set (run under meson test)\n");
		return TRUE;
	}
	work = g_dir_make_tmp ("bench-poll-once-XXXXXX", &error);
	if (work == NULL)
		goto out;
	card_path = g_build_filename (work, "card.veuicc", NULL);
	eim = esim_test_eim_new (NULL, &error);
	if (eim == NULL || !write_card (eim, pki_dir, card_path, &eid, &error) ||
	    !esim_test_eim_package_add_enable (package, DISABLED_ICCID, FALSE, &error))
		goto out;
	bus = g_test_dbus_new (G_TEST_DBUS_NONE);
	g_test_dbus_up (bus);
	ok = measure_warm_daemon (eim, esimd, work, card_path, bus, &error);
	esim_test_eim_queue (eim, eid, g_steal_pointer (&package));
	ok = ok && measure_poll_once (eim, esimd, work, card_path,
	                        "esimd --poll-once from a cold start, one PSMO (enable)",
	                        "target <= 16", &error) &&
	     measure_poll_once (eim, esimd, work, card_path, "esimd --poll-once from a cold start, empty",
	                        "goal <= 2", &error);
	g_test_dbus_down (bus);
out:
	if (error != NULL)
		g_printerr ("esimd --poll-once: %s\n", error->message);
	if (work != NULL && g_getenv ("BENCH_POLL_KEEP") == NULL)
		rm_rf (work);
	else if (work != NULL)
		g_print ("esimd's state and log (the last run) kept in %s\n", work);
	return ok;
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions pki_options = { .smdp_host = "localhost" };
	g_autofree gchar *pki_dir = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	/* no proxy lookups (libproxy, desktop settings) while measuring */
	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	pki_dir = g_dir_make_tmp ("bench-poll-XXXXXX", &error);
	if (pki_dir == NULL || !esim_test_pki_write (pki_dir, &pki_options, NULL, &error)) {
		g_printerr ("test PKI: %s\n", error->message);
		return 1;
	}
	ok = bench_flow (pki_dir) && bench_esimd (pki_dir);
	rm_rf (pki_dir);
	return ok ? 0 : 1;
}
