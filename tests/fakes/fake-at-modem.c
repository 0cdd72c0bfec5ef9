/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake modem AT port on a pseudo-terminal, backed by the software eUICC.
 * See fake-at-modem.h for what it answers and which faults it injects.
 *
 * What it follows, and from where:
 *   - 3GPP TS 27.007 §8.45 +CCHO: the MT opens a channel to the application
 *     and answers a <sessionid>, an integer of its own choosing; §8.43 +CGLA
 *     passes the command to the UICC "as it is" on that session, and "it will
 *     be up to the MT to manage the logical channel part of the APDU CLASS
 *     byte" (NOTE), which the fake does when its ids are not the channels;
 *     §8.46 +CCHC closes the session; §8.17 +CSIM passes any APDU as is.
 *   - §9.1 +CMEE: 0 (the default) reports every failure as ERROR, 1 as
 *     "+CME ERROR: <n>", 2 as "+CME ERROR: <text>" (§9.2 codes and texts).
 *   - The codes: a full card answers +CCHO with 20 "memory full" and an AID
 *     the card does not have with 22 "not found", which MediaTek's RIL reads
 *     as "missing resource" and "no such element"
 *     (Goayandi/vendor_mediatek_proprietary_hardware-mt8173:
 *     ril/mtk-ril/ril_sim.c requestSimAuthentication); an unknown session is
 *     21 "invalid index", bad arguments 50 "incorrect parameters".
 */

#define G_LOG_DOMAIN "fake-at"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "esim-util.h"
#include "fake-at-modem.h"

#define FAKE_AT_N_CHANNELS   4  /* basic + 3 logical, as the software eUICC */

/* 27.007 §9.2.1 */
#define CME_OPERATION_NOT_ALLOWED   3
#define CME_OPERATION_NOT_SUPPORTED 4
#define CME_MEMORY_FULL             20
#define CME_INVALID_INDEX           21
#define CME_NOT_FOUND               22
#define CME_INCORRECT_PARAMETERS    50
#define FAKE_AT_MAX_LINE     4096
#define FAKE_AT_MAX_CHAINED  64 /* GET RESPONSEs fetched for one AUTO_GET_RESPONSE answer */

typedef struct {
	gchar *prefix;
	guint countdown;
	FakeAtModemFault fault;
} FakeAtFault;

struct _FakeAtModem {
	EsimVeuicc *card;
	GMainContext *context;
	gchar *port;
	gint master;     /* -1 after hang-up */
	gint held_slave; /* keeps the pty alive while the client reopens it */
	GSource *read_source;
	GSource *write_source;
	GSource *delay_source;
	guint delay_ms;
	GString *inbuf;
	GByteArray *outbuf;

	FakeAtModemFlags flags;
	gboolean echo;
	gboolean reset_after_switch;
	guint n_card_resets;
	guint cmee;            /* +CMEE mode: 0, 1 or 2 */
	guint first_session_id; /* 0: a session id is the card's channel */
	guint next_session_id;
	GHashTable *sessions;  /* +CCHO session id -> the card's channel */
	GPtrArray *faults;   /* FakeAtFault* */
	GPtrArray *commands; /* every command line received */
};

static void
fake_at_fault_free (FakeAtFault *fault)
{
	g_free (fault->prefix);
	g_free (fault);
}

static void
source_clear (GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy (*source);
	g_clear_pointer (source, g_source_unref);
}

/* ------------------------------------------------------------------------ */
/* output */

static void fake_at_flush (FakeAtModem *self);

static gboolean
fake_at_writable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeAtModem *self = user_data;

	g_clear_pointer (&self->write_source, g_source_unref);
	fake_at_flush (self);
	return G_SOURCE_REMOVE;
}

static void
fake_at_flush (FakeAtModem *self)
{
	while (self->master >= 0 && self->outbuf->len > 0) {
		gssize n = write (self->master, self->outbuf->data, self->outbuf->len);

		if (n > 0) {
			g_byte_array_remove_range (self->outbuf, 0, (guint) n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (self->write_source == NULL) {
				self->write_source = g_unix_fd_source_new (self->master, G_IO_OUT);
				g_source_set_callback (self->write_source,
				                       (GSourceFunc) (GCallback) fake_at_writable_cb,
				                       self, NULL);
				g_source_attach (self->write_source, self->context);
			}
			return;
		}
		g_debug ("writing to the pty master: %s", g_strerror (errno));
		g_byte_array_set_size (self->outbuf, 0);
		return;
	}
}

static gboolean
fake_at_delay_cb (gpointer user_data)
{
	FakeAtModem *self = user_data;

	g_clear_pointer (&self->delay_source, g_source_unref);
	fake_at_flush (self);
	return G_SOURCE_REMOVE;
}

static void
fake_at_write (FakeAtModem *self, const gchar *text)
{
	if (self->master < 0)
		return;
	g_byte_array_append (self->outbuf, (const guint8 *) text, strlen (text));
	if (self->delay_ms == 0) {
		fake_at_flush (self);
		return;
	}
	/* held until the delay runs out; later writes join the same batch */
	if (self->delay_source == NULL) {
		self->delay_source = g_timeout_source_new (self->delay_ms);
		g_source_set_callback (self->delay_source, fake_at_delay_cb, self, NULL);
		g_source_attach (self->delay_source, self->context);
	}
}

/* One V.250 response line: "\r\n<line>\r\n" */
static void
fake_at_write_line (FakeAtModem *self, const gchar *line)
{
	g_autofree gchar *framed = g_strdup_printf ("\r\n%s\r\n", line);
	fake_at_write (self, framed);
}

/* Information line (may be NULL) then final result, with URCs around them
 * when asked for. */
static void
fake_at_reply (FakeAtModem *self, const gchar *info, const gchar *final)
{
	gboolean urcs = (self->flags & FAKE_AT_MODEM_FLAG_URCS) != 0;

	if (urcs)
		fake_at_write_line (self, "+CIEV: \"MESSAGE\",1");
	if (info != NULL)
		fake_at_write_line (self, info);
	if (urcs) {
		fake_at_write_line (self, "RING");
		fake_at_write_line (self, "+CREG: 1,\"00C3\",\"0000F0A5\",7");
	}
	fake_at_write_line (self, final);
}

static const gchar *
cme_text (guint code)
{
	switch (code) {
	case CME_OPERATION_NOT_ALLOWED:
		return "operation not allowed";
	case CME_OPERATION_NOT_SUPPORTED:
		return "operation not supported";
	case CME_MEMORY_FULL:
		return "memory full";
	case CME_INVALID_INDEX:
		return "invalid index";
	case CME_NOT_FOUND:
		return "not found";
	case CME_INCORRECT_PARAMETERS:
	default:
		return "incorrect parameters";
	}
}

/* A failure as +CMEE asks for it (27.007 §9.1). */
static void
fake_at_reply_error (FakeAtModem *self, guint code)
{
	g_autofree gchar *final = NULL;

	if (self->cmee == 0)
		final = g_strdup ("ERROR");
	else if (self->cmee == 1)
		final = g_strdup_printf ("+CME ERROR: %u", code);
	else
		final = g_strdup_printf ("+CME ERROR: %s", cme_text (code));
	fake_at_reply (self, NULL, final);
}

/* ------------------------------------------------------------------------ */
/* the card */

static GBytes *
fake_at_card_apdu (FakeAtModem *self, const guint8 *apdu, gsize len)
{
	g_autoptr(GBytes) command = g_bytes_new (apdu, len);
	return esim_veuicc_process_apdu (self->card, command);
}

/* For commands whose answer does not matter (closing a channel) */
static void
fake_at_card_apdu_ignore (FakeAtModem *self, const guint8 *apdu, gsize len)
{
	g_bytes_unref (fake_at_card_apdu (self, apdu, len));
}

static guint16
response_sw (GBytes *response)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (response, &len);

	if (len < 2)
		return 0;
	return (guint16) ((data[len - 2] << 8) | data[len - 1]);
}

/* The APDU as the modem passes it on; with AUTO_GET_RESPONSE a 61xx answer is
 * completed with GET RESPONSE on the same channel. */
static GBytes *
fake_at_card_transmit (FakeAtModem *self, GBytes *command)
{
	g_autoptr(GBytes) response = esim_veuicc_process_apdu (self->card, command);
	g_autoptr(GByteArray) whole = NULL;
	guint8 cla = ((const guint8 *) g_bytes_get_data (command, NULL))[0] & 0x03;

	if ((self->flags & FAKE_AT_MODEM_FLAG_AUTO_GET_RESPONSE) == 0 ||
	    (response_sw (response) >> 8) != 0x61)
		return g_steal_pointer (&response);

	whole = g_byte_array_new ();
	for (guint i = 0; i < FAKE_AT_MAX_CHAINED && (response_sw (response) >> 8) == 0x61; i++) {
		guint8 get_response[] = { cla, 0xC0, 0x00, 0x00, (guint8) response_sw (response) };
		gsize len = 0;
		const guint8 *data = g_bytes_get_data (response, &len);

		g_byte_array_append (whole, data, len - 2);
		g_bytes_unref (response);
		response = fake_at_card_apdu (self, get_response, sizeof (get_response));
	}
	{
		gsize len = 0;
		const guint8 *data = g_bytes_get_data (response, &len);
		g_byte_array_append (whole, data, len);
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&whole));
}

/* ------------------------------------------------------------------------ */
/* commands */

/* <len>,"<hex>" where len counts the hex characters -> the APDU */
static GBytes *
parse_length_and_hex (const gchar *args)
{
	g_auto(GStrv) parts = g_strsplit (args, ",", 2);
	g_autofree gchar *hex = NULL;
	guint64 len = 0;
	gsize hex_len;

	if (g_strv_length (parts) != 2 ||
	    !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &len, NULL))
		return NULL;
	hex_len = strlen (parts[1]);
	if (hex_len < 2 || parts[1][0] != '"' || parts[1][hex_len - 1] != '"')
		return NULL;
	hex = g_strndup (parts[1] + 1, hex_len - 2);
	if (strlen (hex) != len || strchr (hex, ' ') != NULL || len < 8)
		return NULL;
	return esim_hex_decode (hex, NULL);
}

/* A successful profile switch in @response: BF31/BF32 { 80 01 00 } */
static gboolean
response_is_switch_ok (GBytes *response)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (response, &len);

	return len >= 6 && data[0] == 0xBF && (data[1] == 0x31 || data[1] == 0x32) &&
	       data[2] == 0x03 && data[3] == 0x80 && data[4] == 0x01 && data[5] == 0x00;
}

static void
fake_at_reply_apdu (FakeAtModem *self, const gchar *name, GBytes *response)
{
	g_autofree gchar *hex = esim_hex_encode_bytes (response);
	g_autofree gchar *info = g_strdup_printf ("%s: %" G_GSIZE_FORMAT ",\"%s\"", name,
	                                          strlen (hex), hex);
	fake_at_reply (self, info, "OK");
	if (self->reset_after_switch && response_is_switch_ok (response)) {
		g_debug ("%s: card reset after a profile switch", self->port);
		fake_at_modem_reset_card (self);
	}
}

/* A new session id: the channel itself, or the next of the MT's own ids. */
static guint
fake_at_new_session (FakeAtModem *self, guint channel)
{
	guint id = self->first_session_id == 0 ? channel : self->next_session_id++;

	g_hash_table_insert (self->sessions, GUINT_TO_POINTER (id), GUINT_TO_POINTER (channel));
	return id;
}

static void
fake_at_ccho (FakeAtModem *self, const gchar *args)
{
	static const guint8 open_cmd[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	g_autoptr(GBytes) opened = NULL;
	g_autoptr(GBytes) selected = NULL;
	g_autoptr(GBytes) aid = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *info = NULL;
	g_autoptr(GByteArray) select = g_byte_array_new ();
	gsize len = strlen (args);
	const guint8 *data;
	guint16 sw;
	guint channel;
	guint id;

	if (len < 4 || args[0] != '"' || args[len - 1] != '"') {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
		return;
	}
	hex = g_strndup (args + 1, len - 2);
	aid = esim_hex_decode (hex, NULL);
	if (aid == NULL || g_bytes_get_size (aid) < 1 || g_bytes_get_size (aid) > 16) {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
		return;
	}
	if (self->flags & FAKE_AT_MODEM_FLAG_CCHO_REFUSED) {
		fake_at_reply_error (self, CME_OPERATION_NOT_ALLOWED);
		return;
	}
	opened = fake_at_card_apdu (self, open_cmd, sizeof (open_cmd));
	data = g_bytes_get_data (opened, &len);
	if (len != 3 || response_sw (opened) != 0x9000) {
		fake_at_reply_error (self, CME_MEMORY_FULL);
		return;
	}
	channel = data[0];
	{
		const guint8 header[] = { (guint8) channel, 0xA4, 0x04, 0x00,
		                          (guint8) g_bytes_get_size (aid) };
		g_byte_array_append (select, header, sizeof (header));
		g_byte_array_append (select, g_bytes_get_data (aid, NULL), g_bytes_get_size (aid));
	}
	selected = fake_at_card_apdu (self, select->data, select->len);
	sw = response_sw (selected);
	if (sw != 0x9000 && (sw >> 8) != 0x61) {
		const guint8 close_cmd[] = { 0x00, 0x70, 0x80, (guint8) channel, 0x00 };
		fake_at_card_apdu_ignore (self, close_cmd, sizeof (close_cmd));
		fake_at_reply_error (self, CME_NOT_FOUND);
		return;
	}
	id = fake_at_new_session (self, channel);
	if (self->flags & FAKE_AT_MODEM_FLAG_BARE_CCHO)
		info = g_strdup_printf ("%u", id);
	else
		info = g_strdup_printf ("+CCHO: %u", id);
	fake_at_reply (self, info, "OK");
}

/* The session's channel in the CLA, as an MT that maps its ids manages it
 * (27.007 §8.43 NOTE): first interindustry coding for 0-3, further for 4-19,
 * the proprietary (GlobalPlatform) class and command chaining kept.  esimd
 * sends no secure messaging: those bits are not carried over. */
static void
fake_at_code_channel (guint8 *cla, guint channel)
{
	guint8 kept = *cla & 0x90;

	if (*cla == 0xFF || (*cla & 0x60) == 0x20)
		return; /* 2X/3X/AX/BX/FF: no channel bits */
	if (channel < 4)
		*cla = kept | (guint8) channel;
	else
		*cla = kept | 0x40 | (guint8) (channel - 4);
}

static void
fake_at_cgla (FakeAtModem *self, const gchar *args)
{
	g_auto(GStrv) parts = g_strsplit (args, ",", 2);
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	guint64 session = 0;
	gpointer channel = NULL;

	if (g_strv_length (parts) != 2 ||
	    !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &session, NULL) ||
	    (command = parse_length_and_hex (parts[1])) == NULL) {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
		return;
	}
	if (!g_hash_table_lookup_extended (self->sessions, GUINT_TO_POINTER ((guint) session), NULL,
	                                   &channel)) {
		fake_at_reply_error (self, CME_INVALID_INDEX);
		return;
	}
	if (self->first_session_id != 0) {
		gsize len = 0;
		guint8 *apdu = g_bytes_unref_to_data (g_steal_pointer (&command), &len);

		fake_at_code_channel (&apdu[0], GPOINTER_TO_UINT (channel));
		command = g_bytes_new_take (apdu, len);
	}
	response = fake_at_card_transmit (self, command);
	fake_at_reply_apdu (self, "+CGLA", response);
}

static void
fake_at_cchc (FakeAtModem *self, const gchar *args)
{
	guint8 close_cmd[] = { 0x00, 0x70, 0x80, 0x00, 0x00 };
	g_autoptr(GBytes) closed = NULL;
	guint64 session = 0;
	gpointer channel = NULL;

	if (!g_ascii_string_to_unsigned (args, 10, 0, G_MAXUINT32, &session, NULL)) {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
		return;
	}
	if (!g_hash_table_lookup_extended (self->sessions, GUINT_TO_POINTER ((guint) session), NULL,
	                                   &channel)) {
		fake_at_reply_error (self, CME_INVALID_INDEX);
		return;
	}
	g_hash_table_remove (self->sessions, GUINT_TO_POINTER ((guint) session));
	close_cmd[3] = (guint8) GPOINTER_TO_UINT (channel);
	closed = fake_at_card_apdu (self, close_cmd, sizeof (close_cmd));
	if (response_sw (closed) == 0x9000)
		fake_at_reply (self, NULL, "OK");
	else
		fake_at_reply_error (self, CME_OPERATION_NOT_ALLOWED);
}

static void
fake_at_csim (FakeAtModem *self, const gchar *args)
{
	g_autoptr(GBytes) command = parse_length_and_hex (args);
	g_autoptr(GBytes) response = NULL;

	if (command == NULL) {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
		return;
	}
	response = fake_at_card_transmit (self, command);
	fake_at_reply_apdu (self, "+CSIM", response);
}

/* TRUE when a fault consumed the command (answered or not) */
static gboolean
fake_at_apply_fault (FakeAtModem *self, const gchar *line)
{
	for (guint i = 0; i < self->faults->len; i++) {
		FakeAtFault *fault = g_ptr_array_index (self->faults, i);
		FakeAtModemFault kind;

		if (g_ascii_strncasecmp (line, fault->prefix, strlen (fault->prefix)) != 0)
			continue;
		if (--fault->countdown > 0)
			return FALSE;
		kind = fault->fault;
		g_ptr_array_remove_index (self->faults, i);
		switch (kind) {
		case FAKE_AT_FAULT_ERROR:
			fake_at_reply (self, NULL, "ERROR");
			break;
		case FAKE_AT_FAULT_NOT_ALLOWED:
			fake_at_reply_error (self, CME_OPERATION_NOT_ALLOWED);
			break;
		case FAKE_AT_FAULT_SILENT:
			break;
		case FAKE_AT_FAULT_HANG_UP:
			fake_at_modem_hang_up (self);
			break;
		case FAKE_AT_FAULT_GARBLED: {
			g_autofree gchar *info = g_strdup_printf (
				"%.*s: 4,\"9G00\"", (gint) strcspn (line + 2, "=?"), line + 2);
			fake_at_reply (self, info, "OK");
			break;
		}
		}
		return TRUE;
	}
	return FALSE;
}

static gboolean
has_prefix (const gchar *line, const gchar *prefix)
{
	return g_ascii_strncasecmp (line, prefix, strlen (prefix)) == 0;
}

static void
fake_at_probe (FakeAtModem *self, FakeAtModemFlags missing_when)
{
	fake_at_reply (self, NULL, (self->flags & missing_when) ? "ERROR" : "OK");
}

/* 27.007 §9.1: "=<n>", "?" and "=?" */
static void
fake_at_cmee (FakeAtModem *self, const gchar *args)
{
	guint64 mode = 0;

	if (g_strcmp0 (args, "?") == 0) {
		g_autofree gchar *info = g_strdup_printf ("+CMEE: %u", self->cmee);
		fake_at_reply (self, info, "OK");
	} else if (g_strcmp0 (args, "=?") == 0) {
		fake_at_reply (self, "+CMEE: (0-2)", "OK");
	} else if (args[0] == '=' &&
	           g_ascii_string_to_unsigned (args + 1, 10, 0, 2, &mode, NULL)) {
		self->cmee = (guint) mode;
		fake_at_reply (self, NULL, "OK");
	} else {
		fake_at_reply_error (self, CME_INCORRECT_PARAMETERS);
	}
}

static void
fake_at_command (FakeAtModem *self, const gchar *line)
{
	FakeAtModemFlags no_cchc = FAKE_AT_MODEM_FLAG_NO_LOGICAL | FAKE_AT_MODEM_FLAG_NO_CCHC;

	g_ptr_array_add (self->commands, g_strdup (line));
	if (self->echo || (self->flags & FAKE_AT_MODEM_FLAG_ECHO)) {
		g_autofree gchar *echo = g_strdup_printf ("%s\r", line);
		fake_at_write (self, echo);
	}
	if ((self->flags & FAKE_AT_MODEM_FLAG_HANG) || fake_at_apply_fault (self, line))
		return;

	if (g_ascii_strcasecmp (line, "AT") == 0) {
		fake_at_reply (self, NULL, "OK");
	} else if (g_ascii_strcasecmp (line, "ATE0") == 0) {
		self->echo = FALSE;
		fake_at_reply (self, NULL, "OK");
	} else if (g_ascii_strcasecmp (line, "ATE1") == 0 || g_ascii_strcasecmp (line, "ATE") == 0) {
		self->echo = TRUE;
		fake_at_reply (self, NULL, "OK");
	} else if (has_prefix (line, "AT+CMEE") && !(self->flags & FAKE_AT_MODEM_FLAG_NO_CMEE)) {
		fake_at_cmee (self, line + strlen ("AT+CMEE"));
	} else if (g_ascii_strcasecmp (line, "AT+CCHO=?") == 0 ||
	           g_ascii_strcasecmp (line, "AT+CGLA=?") == 0) {
		fake_at_probe (self, FAKE_AT_MODEM_FLAG_NO_LOGICAL);
	} else if (g_ascii_strcasecmp (line, "AT+CCHC=?") == 0) {
		fake_at_probe (self, no_cchc);
	} else if (g_ascii_strcasecmp (line, "AT+CSIM=?") == 0) {
		fake_at_probe (self, FAKE_AT_MODEM_FLAG_NO_CSIM);
	} else if (has_prefix (line, "AT+CCHO=") && !(self->flags & FAKE_AT_MODEM_FLAG_NO_LOGICAL)) {
		fake_at_ccho (self, line + strlen ("AT+CCHO="));
	} else if (has_prefix (line, "AT+CGLA=") && !(self->flags & FAKE_AT_MODEM_FLAG_NO_LOGICAL)) {
		fake_at_cgla (self, line + strlen ("AT+CGLA="));
	} else if (has_prefix (line, "AT+CCHC=") && !(self->flags & no_cchc)) {
		fake_at_cchc (self, line + strlen ("AT+CCHC="));
	} else if (has_prefix (line, "AT+CSIM=") && !(self->flags & FAKE_AT_MODEM_FLAG_NO_CSIM)) {
		fake_at_csim (self, line + strlen ("AT+CSIM="));
	} else {
		fake_at_reply (self, NULL, "ERROR");
	}
}

static gboolean
fake_at_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeAtModem *self = user_data;
	gchar buf[512];

	for (;;) {
		gssize n = read (fd, buf, sizeof (buf));

		if (n > 0) {
			g_string_append_len (self->inbuf, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EAGAIN; the fake's own slave descriptor prevents hang-ups */
	}
	/* commands end with CR (S3); a LF after it is ignored */
	while (self->master >= 0) {
		gsize len = strcspn (self->inbuf->str, "\r");
		g_autofree gchar *line = NULL;

		if (len == self->inbuf->len)
			break;
		line = g_strndup (self->inbuf->str, len);
		g_string_erase (self->inbuf, 0, len + 1);
		g_strstrip (g_strdelimit (line, "\n", ' '));
		if (*line != '\0')
			fake_at_command (self, line);
	}
	if (self->inbuf->len > FAKE_AT_MAX_LINE)
		g_string_truncate (self->inbuf, 0);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* public API */

static void
set_errno_error (GError **error, const gchar *what)
{
	gint saved_errno = errno;

	g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", what,
	             g_strerror (saved_errno));
}

FakeAtModem *
fake_at_modem_new (EsimVeuicc *card, GError **error)
{
	g_autoptr(FakeAtModem) self = g_new0 (FakeAtModem, 1);
	struct termios tio;
	gchar name[128];

	g_return_val_if_fail (ESIM_IS_VEUICC (card), NULL);

	self->card = g_object_ref (card);
	self->context = g_main_context_ref_thread_default ();
	self->master = -1;
	self->held_slave = -1;
	self->inbuf = g_string_new (NULL);
	self->outbuf = g_byte_array_new ();
	self->echo = TRUE; /* V.250 default */
	self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_at_fault_free);
	self->commands = g_ptr_array_new_with_free_func (g_free);
	self->sessions = g_hash_table_new (g_direct_hash, g_direct_equal);

	self->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->master < 0 || grantpt (self->master) < 0 || unlockpt (self->master) < 0 ||
	    ptsname_r (self->master, name, sizeof (name)) != 0) {
		set_errno_error (error, "cannot create a pseudo-terminal");
		return NULL;
	}
	self->port = g_strdup (name);
	/* raw: no echo or CR/LF translation by the line discipline */
	self->held_slave = open (self->port, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->held_slave < 0 || tcgetattr (self->held_slave, &tio) < 0) {
		set_errno_error (error, "cannot open the pty slave");
		return NULL;
	}
	cfmakeraw (&tio);
	if (tcsetattr (self->held_slave, TCSANOW, &tio) < 0) {
		set_errno_error (error, "cannot configure the pty slave");
		return NULL;
	}
	if (!g_unix_set_fd_nonblocking (self->master, TRUE, error))
		return NULL;
	self->read_source = g_unix_fd_source_new (self->master, G_IO_IN);
	g_source_set_callback (self->read_source, (GSourceFunc) (GCallback) fake_at_readable_cb,
	                       self, NULL);
	g_source_attach (self->read_source, self->context);
	return g_steal_pointer (&self);
}

void
fake_at_modem_free (FakeAtModem *self)
{
	if (self == NULL)
		return;
	fake_at_modem_hang_up (self);
	g_clear_object (&self->card);
	g_main_context_unref (self->context);
	g_free (self->port);
	g_string_free (self->inbuf, TRUE);
	g_byte_array_unref (self->outbuf);
	g_ptr_array_unref (self->faults);
	g_ptr_array_unref (self->commands);
	g_hash_table_unref (self->sessions);
	g_free (self);
}

const gchar *
fake_at_modem_get_port (FakeAtModem *self)
{
	return self->port;
}

EsimVeuicc *
fake_at_modem_get_card (FakeAtModem *self)
{
	return self->card;
}

void
fake_at_modem_set_flags (FakeAtModem *self, FakeAtModemFlags flags)
{
	self->flags = flags;
}

FakeAtModemFlags
fake_at_modem_get_flags (FakeAtModem *self)
{
	return self->flags;
}

void
fake_at_modem_set_reset_after_switch (FakeAtModem *self, gboolean reset)
{
	self->reset_after_switch = reset;
}

guint
fake_at_modem_get_n_card_resets (FakeAtModem *self)
{
	return self->n_card_resets;
}

void
fake_at_modem_reset_card (FakeAtModem *self)
{
	esim_veuicc_reset (self->card);
	g_hash_table_remove_all (self->sessions);
	self->n_card_resets++;
	fake_at_write_line (self, "+CPIN: READY");
}

void
fake_at_modem_set_first_session_id (FakeAtModem *self, guint first_id)
{
	self->first_session_id = first_id;
	self->next_session_id = first_id;
}

guint
fake_at_modem_count_sessions (FakeAtModem *self)
{
	return g_hash_table_size (self->sessions);
}

guint
fake_at_modem_get_cmee (FakeAtModem *self)
{
	return self->cmee;
}

void
fake_at_modem_set_answer_delay (FakeAtModem *self, guint delay_ms)
{
	self->delay_ms = delay_ms;
}

void
fake_at_modem_inject_fault (FakeAtModem *self, const gchar *command_prefix, guint nth,
                            FakeAtModemFault fault)
{
	FakeAtFault *entry;

	g_return_if_fail (command_prefix != NULL && nth > 0);

	for (guint i = 0; i < self->faults->len; i++) {
		entry = g_ptr_array_index (self->faults, i);
		if (g_ascii_strcasecmp (entry->prefix, command_prefix) == 0) {
			g_ptr_array_remove_index (self->faults, i);
			break;
		}
	}
	entry = g_new0 (FakeAtFault, 1);
	entry->prefix = g_strdup (command_prefix);
	entry->countdown = nth;
	entry->fault = fault;
	g_ptr_array_add (self->faults, entry);
}

void
fake_at_modem_clear_faults (FakeAtModem *self)
{
	g_ptr_array_set_size (self->faults, 0);
}

guint
fake_at_modem_open_stale_channels (FakeAtModem *self, guint n)
{
	static const guint8 open_cmd[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	guint opened = 0;

	for (; opened < n; opened++) {
		g_autoptr(GBytes) response = fake_at_card_apdu (self, open_cmd, sizeof (open_cmd));
		const guint8 *data = g_bytes_get_data (response, NULL);

		if (g_bytes_get_size (response) != 3 || response_sw (response) != 0x9000)
			break;
		fake_at_new_session (self, data[0]);
	}
	return opened;
}

guint
fake_at_modem_count_open_channels (FakeAtModem *self)
{
	guint open = 0;

	/* opening channel n on purpose answers 6A81 when it is already open */
	for (guint8 ch = 1; ch < FAKE_AT_N_CHANNELS; ch++) {
		const guint8 open_cmd[] = { 0x00, 0x70, 0x00, ch };
		const guint8 close_cmd[] = { 0x00, 0x70, 0x80, ch };
		g_autoptr(GBytes) response = fake_at_card_apdu (self, open_cmd, sizeof (open_cmd));

		if (response_sw (response) == 0x9000)
			fake_at_card_apdu_ignore (self, close_cmd, sizeof (close_cmd));
		else
			open++;
	}
	return open;
}

guint
fake_at_modem_count_commands (FakeAtModem *self, const gchar *prefix)
{
	guint count = 0;

	for (guint i = 0; i < self->commands->len; i++) {
		if (prefix == NULL || has_prefix (g_ptr_array_index (self->commands, i), prefix))
			count++;
	}
	return count;
}

void
fake_at_modem_emit_urc (FakeAtModem *self, const gchar *line)
{
	g_return_if_fail (line != NULL);
	fake_at_write_line (self, line);
}

void
fake_at_modem_hang_up (FakeAtModem *self)
{
	source_clear (&self->read_source);
	source_clear (&self->write_source);
	source_clear (&self->delay_source);
	g_byte_array_set_size (self->outbuf, 0);
	if (self->master >= 0) {
		g_debug ("%s: hanging up", self->port);
		close (self->master);
		self->master = -1;
		/* the card loses power with the modem */
		esim_veuicc_reset (self->card);
	}
	if (self->held_slave >= 0) {
		close (self->held_slave);
		self->held_slave = -1;
	}
	g_hash_table_remove_all (self->sessions);
}

gboolean
fake_at_modem_is_hung_up (FakeAtModem *self)
{
	return self->master < 0;
}
