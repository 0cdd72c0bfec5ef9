/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd-vpcd-bridge: the software eUICC as a card in a PC/SC reader.
 *
 * vsmartcard's vpcd is a pcscd reader driver that waits on a TCP port for a
 * "virtual ICC" to connect.  This tool is that ICC: it connects to vpcd and
 * answers it from an EsimVeuicc loaded from (or created in) a state file, so
 * esimd's PC/SC backend, pySim, lpac or any other PC/SC application can talk
 * to the software eUICC through a real pcscd.
 *
 * The vpcd protocol: every message is a 2-byte big-endian length and a
 * payload.  A 1-byte payload from vpcd is a control code (power off, power
 * on, reset: no answer; get ATR: answer the ATR); anything longer is a
 * command APDU, answered with the response APDU.  When vpcd goes away (pcscd
 * stopped) the card counts as pulled and the bridge reconnects every second.
 *
 * --reinsert-after-switch=MS makes the card behave like an eUICC that resets
 * itself after a profile switch and is seen by the reader as taken out and put
 * back: ES10c EnableProfile/DisableProfile with refreshFlag ends in a REFRESH
 * (UICC reset) (SGP.22 v2.5 §5.7.16, §5.7.17); in a PC/SC reader nothing
 * fetches that proactive command, and cards on Linux + pcscd need the reset
 * before they answer again (Iapyx-Informatica/onomondo-ipa#3).  vpcd shows its
 * card present exactly while the virtual ICC is connected
 * (frankmorgner/vsmartcard:virtualsmartcard/src/vpcd/ifd.c, IFDHICCPresence),
 * so after answering a successful switch the bridge disconnects (pcscd sees
 * the card removed) and connects again MS milliseconds later (inserted).
 */

#include <locale.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "esim-util.h"
#include "esim-veuicc.h"

#define BRIDGE_DEFAULT_HOST "127.0.0.1"
#define BRIDGE_DEFAULT_PORT 35963 /* vpcd's default (0x8C7B) */
#define BRIDGE_RETRY_S      1

#define VPCD_CTRL_OFF   0x00
#define VPCD_CTRL_ON    0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR   0x04

/* Historical bytes of our ATR (ISO 7816-4 compact TLV): category 80; card
 * service data 31 E0 (selection by full and partial DF name); card
 * capabilities 73 FE 21 13 (logical channels assigned by the card, 4 in all:
 * the basic channel and the software eUICC's channels 1-3). */
static const guint8 bridge_historical_bytes[] = { 0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x13 };

typedef struct {
	GMainLoop         *loop;
	EsimVeuicc        *card;
	GBytes            *atr;
	GSocketConnectable *address;
	gchar             *address_str;  /* "host:port" for messages */
	GSocketClient     *client;
	GSocketConnection *connection;
	GCancellable      *cancellable;  /* cancelled on shutdown */
	guint              retry_id;
	gboolean           waiting_logged;
	guint8             header[2];
	guint8            *payload;      /* G_MAXUINT16 bytes */
	gsize              payload_len;
	GBytes            *frame;        /* the answer being written */
	gint               reinsert_ms;  /* --reinsert-after-switch; -1: off */
	gboolean           switch_pending; /* a switch was sent, its final answer not yet */
	gboolean           pull_after_write; /* the answer in flight ends a switch */
} Bridge;

static void bridge_connect (Bridge *bridge);
static void bridge_read_header (Bridge *bridge);

/* TS, T0, one TD per protocol, then T=15 with its TA (clock stop: no
 * preference; classes A, B and C), the historical bytes and TCK.  TCK is
 * required as soon as anything but T=0 alone is announced, which the T=15
 * global bytes always are. */
static GBytes *
bridge_build_atr (gboolean t0, gboolean t1)
{
	g_autoptr(GByteArray) atr = g_byte_array_new ();
	guint8 byte;
	guint8 tck = 0;

	byte = 0x3B; /* direct convention */
	g_byte_array_append (atr, &byte, 1);
	byte = 0x80 | sizeof (bridge_historical_bytes); /* TD1 follows */
	g_byte_array_append (atr, &byte, 1);
	if (t0) {
		byte = 0x80 | 0x00; /* T=0, another TD follows */
		g_byte_array_append (atr, &byte, 1);
	}
	if (t1) {
		byte = 0x80 | 0x01; /* T=1, another TD follows */
		g_byte_array_append (atr, &byte, 1);
	}
	byte = 0x10 | 0x0F; /* T=15, TA follows */
	g_byte_array_append (atr, &byte, 1);
	byte = 0xC7;
	g_byte_array_append (atr, &byte, 1);
	g_byte_array_append (atr, bridge_historical_bytes, sizeof (bridge_historical_bytes));
	for (guint i = 1; i < atr->len; i++)
		tck ^= atr->data[i];
	g_byte_array_append (atr, &tck, 1);
	return g_byte_array_free_to_bytes (g_steal_pointer (&atr));
}

/* "t0", "t1", "t0,t1" (any order). */
static gboolean
bridge_parse_protocols (const gchar *text, gboolean *t0, gboolean *t1, GError **error)
{
	g_auto(GStrv) items = g_strsplit (text, ",", -1);

	*t0 = *t1 = FALSE;
	for (guint i = 0; items[i] != NULL; i++) {
		g_strstrip (items[i]);
		if (g_ascii_strcasecmp (items[i], "t0") == 0 || g_strcmp0 (items[i], "T=0") == 0) {
			*t0 = TRUE;
		} else if (g_ascii_strcasecmp (items[i], "t1") == 0 ||
		           g_strcmp0 (items[i], "T=1") == 0) {
			*t1 = TRUE;
		} else {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			             "unknown protocol “%s” in --protocols (use t0, t1 or t0,t1)",
			             items[i]);
			return FALSE;
		}
	}
	if (!*t0 && !*t1) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                     "--protocols names no protocol (use t0, t1 or t0,t1)");
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* connection life cycle */

static gboolean
bridge_retry_cb (gpointer user_data)
{
	Bridge *bridge = user_data;

	bridge->retry_id = 0;
	bridge_connect (bridge);
	return G_SOURCE_REMOVE;
}

static void
bridge_schedule_retry (Bridge *bridge)
{
	if (bridge->retry_id == 0)
		bridge->retry_id = g_timeout_add_seconds (BRIDGE_RETRY_S, bridge_retry_cb, bridge);
}

/* The card leaves the reader after a switch and comes back @reinsert_ms later. */
static void
bridge_pull_card (Bridge *bridge)
{
	g_io_stream_close (G_IO_STREAM (bridge->connection), NULL, NULL);
	g_clear_object (&bridge->connection);
	esim_veuicc_reset (bridge->card);
	g_message ("profile switched: the card resets and leaves the reader for %d ms",
	           bridge->reinsert_ms);
	bridge->waiting_logged = FALSE;
	if (bridge->retry_id == 0)
		bridge->retry_id = g_timeout_add ((guint) bridge->reinsert_ms, bridge_retry_cb,
		                                  bridge);
}

/* vpcd closed the connection or an exchange failed: the card is pulled. */
static void
bridge_disconnected (Bridge *bridge, const gchar *reason)
{
	if (bridge->connection != NULL) {
		g_io_stream_close (G_IO_STREAM (bridge->connection), NULL, NULL);
		g_clear_object (&bridge->connection);
	}
	esim_veuicc_reset (bridge->card);
	g_message ("disconnected from vpcd at %s (%s); reconnecting", bridge->address_str, reason);
	bridge->waiting_logged = FALSE;
	bridge_schedule_retry (bridge);
}

static void
bridge_connect_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Bridge *bridge = user_data;
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection;

	connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
	if (connection == NULL) {
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		/* pcscd may start after us or be restarted: keep trying, quietly */
		if (!bridge->waiting_logged)
			g_message ("waiting for vpcd at %s: %s", bridge->address_str, error->message);
		else
			g_debug ("vpcd at %s: %s", bridge->address_str, error->message);
		bridge->waiting_logged = TRUE;
		bridge_schedule_retry (bridge);
		return;
	}
	bridge->connection = connection;
	bridge->waiting_logged = FALSE;
	g_message ("connected to vpcd at %s", bridge->address_str);
	bridge_read_header (bridge);
}

static void
bridge_connect (Bridge *bridge)
{
	g_socket_client_connect_async (bridge->client, bridge->address, bridge->cancellable,
	                               bridge_connect_ready, bridge);
}

/* ------------------------------------------------------------------------ */
/* messages */

static void
bridge_write_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Bridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error)) {
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		bridge_disconnected (bridge, error->message);
		return;
	}
	if (bridge->pull_after_write) {
		bridge->pull_after_write = FALSE;
		bridge_pull_card (bridge);
		return;
	}
	bridge_read_header (bridge);
}

/* Frames @payload (at most 0xFFFF bytes) and sends it. */
static void
bridge_send (Bridge *bridge, GBytes *payload)
{
	GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (bridge->connection));
	gsize len = g_bytes_get_size (payload);
	g_autoptr(GByteArray) frame = g_byte_array_sized_new (len + 2);
	guint8 header[2] = { (guint8) (len >> 8), (guint8) (len & 0xFF) };

	g_byte_array_append (frame, header, sizeof (header));
	g_byte_array_append (frame, g_bytes_get_data (payload, NULL), len);
	/* vpcd waits for each answer before it sends again, so the previous
	 * frame is written by now */
	g_clear_pointer (&bridge->frame, g_bytes_unref);
	bridge->frame = g_byte_array_free_to_bytes (g_steal_pointer (&frame));
	g_output_stream_write_all_async (output, g_bytes_get_data (bridge->frame, NULL),
	                                 g_bytes_get_size (bridge->frame), G_PRIORITY_DEFAULT,
	                                 bridge->cancellable, bridge_write_ready, bridge);
}

/* Handles a 1-byte control message; TRUE when an answer was sent. */
static gboolean
bridge_handle_control (Bridge *bridge, guint8 code)
{
	switch (code) {
	case VPCD_CTRL_OFF:
	case VPCD_CTRL_ON:
		/* a power cycle loses the card's volatile state, as on silicon */
		g_debug ("power %s", code == VPCD_CTRL_ON ? "on" : "off");
		esim_veuicc_reset (bridge->card);
		return FALSE;
	case VPCD_CTRL_RESET:
		g_debug ("reset");
		esim_veuicc_reset (bridge->card);
		return FALSE;
	case VPCD_CTRL_ATR:
		bridge_send (bridge, bridge->atr);
		return TRUE;
	default:
		g_warning ("ignoring unknown vpcd control code 0x%02X", code);
		return FALSE;
	}
}

/* ES10c EnableProfile (BF31) / DisableProfile (BF32) in the first STORE DATA
 * block (INS E2, P2 block number 0) (SGP.22 v2.5 §5.7.2, §5.7.16, §5.7.17). */
static gboolean
bridge_apdu_starts_switch (const guint8 *apdu, gsize len)
{
	return len >= 7 && apdu[1] == 0xE2 && apdu[3] == 0x00 && apdu[5] == 0xBF &&
	       (apdu[6] == 0x31 || apdu[6] == 0x32);
}

/* The final answer of a switch that worked: BF3x 03 80 01 00 (result ok) 90 00. */
static gboolean
bridge_response_is_switch_ok (const guint8 *data, gsize len)
{
	return len == 8 && data[0] == 0xBF && (data[1] == 0x31 || data[1] == 0x32) &&
	       data[2] == 0x03 && data[3] == 0x80 && data[4] == 0x01 && data[5] == 0x00 &&
	       data[6] == 0x90 && data[7] == 0x00;
}

static void
bridge_handle_apdu (Bridge *bridge)
{
	g_autoptr(GBytes) command = g_bytes_new (bridge->payload, bridge->payload_len);
	g_autoptr(GBytes) response = esim_veuicc_process_apdu (bridge->card, command);
	const guint8 *data;
	gsize len = 0;

	data = g_bytes_get_data (response, &len);
	/* headers and status words only: the data may carry the EID and ICCIDs */
	if (bridge->payload_len >= 4 && len >= 2)
		g_debug ("APDU %02X %02X %02X %02X, %" G_GSIZE_FORMAT " bytes -> %" G_GSIZE_FORMAT
		         " bytes, SW %02X%02X",
		         bridge->payload[0], bridge->payload[1], bridge->payload[2], bridge->payload[3],
		         bridge->payload_len, len - 2, data[len - 2], data[len - 1]);
	if (bridge->reinsert_ms >= 0) {
		if (bridge_apdu_starts_switch (bridge->payload, bridge->payload_len))
			bridge->switch_pending = TRUE;
		/* the answer may come in pieces through 61xx and GET RESPONSE */
		if (bridge->switch_pending && len >= 2 && data[len - 2] != 0x61) {
			bridge->switch_pending = FALSE;
			bridge->pull_after_write = bridge_response_is_switch_ok (data, len);
		}
	}
	bridge_send (bridge, response);
}

static void
bridge_payload_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Bridge *bridge = user_data;
	g_autoptr(GError) error = NULL;
	gsize bytes_read = 0;

	if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), res, &bytes_read, &error)) {
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		bridge_disconnected (bridge, error->message);
		return;
	}
	if (bytes_read < bridge->payload_len) {
		bridge_disconnected (bridge, "connection closed in the middle of a message");
		return;
	}
	if (bridge->payload_len == 1) {
		if (!bridge_handle_control (bridge, bridge->payload[0]))
			bridge_read_header (bridge);
		return;
	}
	bridge_handle_apdu (bridge);
}

static void
bridge_header_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Bridge *bridge = user_data;
	g_autoptr(GError) error = NULL;
	gsize bytes_read = 0;

	if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), res, &bytes_read, &error)) {
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		bridge_disconnected (bridge, error->message);
		return;
	}
	if (bytes_read < sizeof (bridge->header)) {
		bridge_disconnected (bridge, "connection closed");
		return;
	}
	bridge->payload_len = ((gsize) bridge->header[0] << 8) | bridge->header[1];
	if (bridge->payload_len == 0) {
		bridge_read_header (bridge);
		return;
	}
	g_input_stream_read_all_async (G_INPUT_STREAM (source), bridge->payload,
	                               bridge->payload_len, G_PRIORITY_DEFAULT,
	                               bridge->cancellable, bridge_payload_ready, bridge);
}

static void
bridge_read_header (Bridge *bridge)
{
	GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (bridge->connection));

	g_input_stream_read_all_async (input, bridge->header, sizeof (bridge->header),
	                               G_PRIORITY_DEFAULT, bridge->cancellable,
	                               bridge_header_ready, bridge);
}

/* ------------------------------------------------------------------------ */

static gboolean
bridge_signal_cb (gpointer user_data)
{
	Bridge *bridge = user_data;

	g_debug ("stopping");
	g_main_loop_quit (bridge->loop);
	return G_SOURCE_CONTINUE;
}

static void
bridge_clear (Bridge *bridge)
{
	g_cancellable_cancel (bridge->cancellable);
	if (bridge->retry_id != 0)
		g_source_remove (bridge->retry_id);
	if (bridge->connection != NULL)
		g_io_stream_close (G_IO_STREAM (bridge->connection), NULL, NULL);
	g_clear_object (&bridge->connection);
	g_clear_object (&bridge->client);
	g_clear_object (&bridge->address);
	g_clear_object (&bridge->cancellable);
	g_clear_object (&bridge->card);
	g_clear_pointer (&bridge->atr, g_bytes_unref);
	g_clear_pointer (&bridge->frame, g_bytes_unref);
	g_clear_pointer (&bridge->loop, g_main_loop_unref);
	g_free (bridge->address_str);
	g_free (bridge->payload);
}

int
main (int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *protocols = NULL;
	g_autofree gchar *eid = NULL;
	gint port = BRIDGE_DEFAULT_PORT;
	gint reinsert_ms = -1;
	gboolean debug = FALSE;
	gboolean version = FALSE;
	gboolean t0 = FALSE;
	gboolean t1 = FALSE;
	Bridge bridge = { 0 };
	const GOptionEntry entries[] = {
		{ "host", 0, 0, G_OPTION_ARG_STRING, &host,
		  "Address vpcd listens on (default " BRIDGE_DEFAULT_HOST ")", "ADDRESS" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &port,
		  "Port of the vpcd reader slot (default 35963; vpcd's next slot is PORT+1)", "PORT" },
		{ "protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
		  "Protocols the ATR announces: t0, t1 or t0,t1 (default t0,t1)", "LIST" },
		{ "reinsert-after-switch", 0, 0, G_OPTION_ARG_INT, &reinsert_ms,
		  "After a profile switch, take the card out of the reader and put it back MS "
		  "milliseconds later, as a card that resets itself", "MS" },
		{ "debug", 0, 0, G_OPTION_ARG_NONE, &debug,
		  "Log every exchange (APDU headers and status words)", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version,
		  "Print the version and exit", NULL },
		{ NULL },
	};

	setlocale (LC_ALL, "");
	context = g_option_context_new ("STATE-FILE");
	g_option_context_set_summary (context,
	                              "Connects a software eUICC, kept in STATE-FILE (created when missing),\n"
	                              "to vsmartcard's vpcd reader driver, so that PC/SC applications see it\n"
	                              "as a card in a reader.");
	g_option_context_add_main_entries (context, entries, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("esimd-vpcd-bridge: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print ("esimd-vpcd-bridge %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc != 2) {
		g_printerr ("esimd-vpcd-bridge: exactly one STATE-FILE expected (see --help)\n");
		return 2;
	}
	if (port < 1 || port > G_MAXUINT16) {
		g_printerr ("esimd-vpcd-bridge: --port %d is not a TCP port\n", port);
		return 2;
	}
	if (reinsert_ms != -1 && (reinsert_ms < 0 || reinsert_ms > 600000)) {
		g_printerr ("esimd-vpcd-bridge: --reinsert-after-switch %d is not 0 to 600000 ms\n",
		            reinsert_ms);
		return 2;
	}
	if (!bridge_parse_protocols (protocols != NULL ? protocols : "t0,t1", &t0, &t1, &error)) {
		g_printerr ("esimd-vpcd-bridge: %s\n", error->message);
		return 2;
	}
	/* our domains only, unless the user chose others */
	if (debug && g_getenv ("G_MESSAGES_DEBUG") == NULL)
		g_setenv ("G_MESSAGES_DEBUG", "esimd-vpcd-bridge esim esim-veuicc", TRUE);

	bridge.card = esim_veuicc_new_from_file (argv[1], TRUE, &error);
	if (bridge.card == NULL) {
		g_printerr ("esimd-vpcd-bridge: cannot load the software eUICC from %s: %s\n",
		            argv[1], error->message);
		return 1;
	}
	if (host == NULL)
		host = g_strdup (BRIDGE_DEFAULT_HOST);
	bridge.atr = bridge_build_atr (t0, t1);
	bridge.address = g_network_address_new (host, (guint16) port);
	bridge.address_str = g_strdup_printf ("%s:%d", host, port);
	bridge.client = g_socket_client_new ();
	/* vpcd is next door: no proxy lookups */
	g_socket_client_set_enable_proxy (bridge.client, FALSE);
	bridge.cancellable = g_cancellable_new ();
	bridge.payload = g_malloc (G_MAXUINT16);
	bridge.reinsert_ms = reinsert_ms;
	bridge.loop = g_main_loop_new (NULL, FALSE);

	eid = esim_log_personal (esim_veuicc_get_eid (bridge.card));
	g_message ("software eUICC %s from %s; announcing %s%s%s", eid, argv[1], t0 ? "T=0" : "",
	           t0 && t1 ? " and " : "", t1 ? "T=1" : "");
	g_unix_signal_add (SIGINT, bridge_signal_cb, &bridge);
	g_unix_signal_add (SIGTERM, bridge_signal_cb, &bridge);
	bridge_connect (&bridge);
	g_main_loop_run (bridge.loop);

	/* every change was saved by the card as it happened */
	bridge_clear (&bridge);
	return 0;
}
