/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "at" channel backend: 3GPP TS 27.007 +CCHO / +CGLA / +CCHC on a modem's
 * AT port, or AT+CSIM when the modem lacks those (lpac#164).
 *
 * The port is a serial line: one command is in flight at a time and the
 * others wait in a FIFO.  Lines from the modem are split on CR/LF; for the
 * command in flight they are its echo (skipped), an information line with
 * the expected prefix (+CGLA:, +CSIM:, +CCHO: or the bare 27.007 session id),
 * or a final result code (OK, ERROR, +CME ERROR: …).  Everything else is an
 * unsolicited result code (+CIEV, RING…) and is ignored.  The line-level
 * parsing lives in esim-at-parse.c (fuzzed on its own).
 *
 * A command that gets no final result within the timeout leaves the modem in
 * an unknown state: the port is closed and reopened on the next call, with
 * its input flushed, so a late answer is never taken for another command's.
 * A command the caller cancels after it was written is left to finish and
 * its answer is swallowed, for the same reason.
 *
 * Preparing the port (on first use): open the tty raw, AT, ATE0 (echo is
 * still tolerated: some modems ignore ATE0), AT+CMEE=1 so that refusals
 * carry their cause as "+CME ERROR: <n>" (27.007 §9.1; ModemManager's
 * mm-broadband-modem.c modem_init_sequence sends it too, and treats a refusal
 * as harmless, as here), then probe AT+CCHO=?, AT+CGLA=?, AT+CCHC=? and
 * AT+CSIM=?.  Nothing is closed then: sessions another user left open are
 * only closed when the card has no free channel (below).  The modem's
 * settings are not restored: ModemManager runs its own init sequence
 * (E0, +CMEE=1) when it gets the port back.
 *
 * Sessions and channel numbers.  The +CCHO <sessionid> is an integer the MT
 * chooses (27.007 §8.45), not a channel number: modems hand out 1, 2… (the
 * card's channel) as well as 257, 258… or ids that grow with every open.
 * +CGLA passes the command "as it is" on the session, and "it will be up to
 * the MT to manage the logical channel part of the APDU CLASS byte" (27.007
 * §8.43, NOTE): over +CCHO the card's channel cannot be known.  So the
 * channel number handed to the caller (which codes it in the CLA, see
 * esim-channel.h) is ours, and this backend re-codes the CLA's channel bits
 * before the APDU leaves:
 *   - a session id of 1-19 that is free as our number is used as is, and
 *     coded in the CLA (the card's channel on modems whose ids are channels,
 *     as MediaTek's RIL codes it, Goayandi/vendor_mediatek_proprietary_
 *     hardware-mt8173:ril/mtk-ril/ril_sim.c requestSimAuthentication; a modem
 *     that manages the bits itself replaces them anyway);
 *   - any other id gets a free number 1-19, and its APDUs carry channel 0 in
 *     the CLA: the MT codes the channel, as oFono relies on when it sends
 *     AUTHENTICATE with CLA 00 over +CGLA (sailfishos-native/ofono-mirror:
 *     src/simutil.c build_authenticate, src/sim-auth.c); lpac's at driver
 *     likewise keeps the id as an opaque string and codes its own index
 *     (estkme-group/lpac:driver/apdu/at_etsi.c, at_helpers.c);
 *   - a channel opened with MANAGE CHANNEL over +CSIM is the card's own
 *     number, learnt from the card's answer.
 *
 * +CSIM fallback.  A modem that refuses +CCHO (ERROR, +CME ERROR: the AID is
 * not allowed, the command not supported…) still reaches the card with
 * MANAGE CHANNEL + SELECT over +CSIM when it has that (27.007 §8.17: the
 * command goes to the card as it is); only while none of our +CCHO sessions
 * is open, whose card channels a MANAGE CHANNEL number could collide with.
 *
 * Foreign sessions, by the rule of the QMI backend: when the card has no
 * free channel (+CCHO refused with +CME ERROR: 20 "memory full", which
 * MediaTek's RIL reads as "missing resource", or MANAGE CHANNEL refused over
 * +CSIM), sessions 1-19 that are not ours are closed with +CCHC (lpac's
 * at_etsi.c closes the sessions it knows before every +CCHO); if that freed
 * none and no +CCHO session of ours is open, channels 1-19 that are not ours
 * are closed with MANAGE CHANNEL over +CSIM; then the open is tried once
 * more.  Never at start: a live user, or the modem's own ISIM session, may
 * hold them.
 *
 * No reset_card: AT+CFUN=0/1 or AT+CFUN=1,1 reset or re-enumerate the whole
 * modem on many devices (the port disappears), which is the daemon's
 * ModemManager-level fallback, not a channel operation.
 */

#define G_LOG_DOMAIN "esim"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "esim-apdu.h"
#include "esim-at-parse.h"
#include "esim-channel-at.h"
#include "esim-error.h"
#include "esim-tags.h"
#include "esim-util.h"

/* a +CGLA answer with 256 bytes of data is ~540 characters */
#define AT_MAX_LINE          8192
#define AT_MAX_INFO_LINES    32
#define AT_MAX_CHANNEL       ESIM_LOGICAL_CHANNEL_MAX /* the basic channel and logical ones 1-19 */
#define AT_SWEEP_MAX_SESSION 19 /* foreign +CCHO sessions tried: the ids that are channel numbers */
#define AT_MAX_APDU          261 /* short APDU: 4 header + Lc + 255 + Le */
#define AT_SYNC_ATTEMPTS     2

typedef enum {
	AT_SESSION_NONE, /* the number is free */
	AT_SESSION_CCHO, /* a 27.007 +CCHO session: its APDUs go through +CGLA */
	AT_SESSION_CSIM, /* a channel opened with MANAGE CHANNEL over +CSIM */
} AtSessionKind;

/* One channel we opened, under the number the caller codes in the CLA. */
typedef struct {
	AtSessionKind kind;
	guint session_id;   /* +CCHO: the MT's <sessionid> */
	guint card_channel; /* the channel bits sent in the CLA: the card's channel
	                     * (or our best guess), 0 when only the MT knows it */
} AtSession;

typedef enum {
	PORT_CLOSED,
	PORT_PREPARING,
	PORT_READY,
} PortState;

struct _EsimChannelAt {
	GObject parent_instance;
	gchar *path;
	guint timeout_ms;
	gboolean force_csim;
	GMainContext *context;

	gint fd;               /* -1 while the port is closed */
	guint generation;      /* bumped on every open: tells a reopened port from the old one */
	GSource *read_source;
	GSource *write_source;
	GSource *timeout_source; /* for the command in flight */
	GString *inbuf;        /* received bytes not yet split into lines */
	GByteArray *outbuf;    /* command bytes not yet written */
	GQueue commands;       /* AtCommand*: the head is in flight once sent */

	PortState state;
	GQueue prepare_waiters; /* GTask*: channel operations waiting for the probe */

	EsimChannelAtMode mode;
	gboolean has_cchc;
	gboolean has_csim;
	AtSession sessions[AT_MAX_CHANNEL + 1]; /* by the caller's channel number; [0] unused */
};

static void esim_channel_at_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimChannelAt, esim_channel_at, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, esim_channel_at_iface_init))

/* ------------------------------------------------------------------------ */
/* helpers */

static void
source_clear (GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy (*source);
	g_clear_pointer (source, g_source_unref);
}

/* The command layer reports a refusal by the modem (ERROR, +CME ERROR) in
 * this backend-private domain, code the +CME ERROR number (AT_REFUSAL_NO_CAUSE
 * for a plain ERROR), message 'AT+<command> answered "<result line>"'.  Each
 * operation turns it into an ESIM_APDU_ERROR of its own (refusal_error);
 * port failures are ESIM_APDU_ERROR_TRANSPORT. */
#define AT_REFUSAL (at_refusal_quark ())
#define AT_REFUSAL_NO_CAUSE (-1)
static GQuark at_refusal_quark (void);
G_DEFINE_QUARK (esim-at-refusal, at_refusal)

static gboolean
error_is_modem_refusal (const GError *error)
{
	return error != NULL && error->domain == AT_REFUSAL;
}

static gboolean
refusal_is (const GError *error, EsimAtCmeError cme)
{
	return error_is_modem_refusal (error) && error->code == (gint) cme;
}

/* "<what> (AT+<command> answered "…")" as ESIM_APDU_ERROR @code. */
static GError *
refusal_error (const GError *refusal, gint code, const gchar *what)
{
	return g_error_new (ESIM_APDU_ERROR, code, "%s (%s)", what, refusal->message);
}

/* ------------------------------------------------------------------------ */
/* the channels we opened */

static gboolean
sessions_have_ccho (EsimChannelAt *self)
{
	for (guint i = 1; i <= AT_MAX_CHANNEL; i++) {
		if (self->sessions[i].kind == AT_SESSION_CCHO)
			return TRUE;
	}
	return FALSE;
}

static gboolean
sessions_have_ccho_id (EsimChannelAt *self, guint session_id)
{
	for (guint i = 1; i <= AT_MAX_CHANNEL; i++) {
		if (self->sessions[i].kind == AT_SESSION_CCHO &&
		    self->sessions[i].session_id == session_id)
			return TRUE;
	}
	return FALSE;
}

/* Our number for a new channel: @preferred when free, else the lowest free
 * one; 0 when all 19 are taken. */
static guint
sessions_pick_number (EsimChannelAt *self, guint preferred)
{
	if (preferred >= 1 && preferred <= AT_MAX_CHANNEL &&
	    self->sessions[preferred].kind == AT_SESSION_NONE)
		return preferred;
	for (guint i = 1; i <= AT_MAX_CHANNEL; i++) {
		if (self->sessions[i].kind == AT_SESSION_NONE)
			return i;
	}
	return 0;
}

static void
sessions_clear (EsimChannelAt *self)
{
	memset (self->sessions, 0, sizeof (self->sessions));
}

/* ------------------------------------------------------------------------ */
/* commands */

typedef struct {
	EsimChannelAt *self;     /* not owned: the task holds the reference */
	gchar *text;             /* without the terminating CR */
	gchar *name;             /* "AT+CGLA", for logs and errors */
	gchar *info_prefix;      /* information lines to collect, e.g. "+CGLA:"; NULL: none */
	gboolean accept_digits;  /* also collect a line of digits only (27.007 +CCHO) */
	GTask *task;             /* NULL once the caller gave up on a command already written */
	GPtrArray *lines;        /* collected information lines */
	gboolean sent;
	GSource *cancel_source;
} AtCommand;

static void
at_command_free (AtCommand *cmd)
{
	source_clear (&cmd->cancel_source);
	/* every queued command is completed before it is freed */
	g_warn_if_fail (cmd->task == NULL);
	g_clear_object (&cmd->task);
	g_free (cmd->text);
	g_free (cmd->name);
	g_free (cmd->info_prefix);
	g_ptr_array_unref (cmd->lines);
	g_free (cmd);
}

/* Hands the result to the caller, if it still waits.  Takes @error. */
static void
at_command_complete (AtCommand *cmd, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer (&cmd->task);

	source_clear (&cmd->cancel_source);
	if (task == NULL) {
		g_debug ("%s finished after its caller gave up", cmd->name);
		g_clear_error (&error);
		return;
	}
	if (error != NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, g_ptr_array_ref (cmd->lines),
	                       (GDestroyNotify) g_ptr_array_unref);
}

static void port_fail (EsimChannelAt *self, GError *error);
static void port_flush_output (EsimChannelAt *self);

static gboolean
at_command_timeout_cb (gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (user_data);
	AtCommand *cmd = g_queue_peek_head (&self->commands);

	g_clear_pointer (&self->timeout_source, g_source_unref);
	port_fail (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
	                              "%s on %s timed out after %u ms",
	                              cmd != NULL ? cmd->name : "AT command", self->path,
	                              self->timeout_ms));
	return G_SOURCE_REMOVE;
}

/* Writes the head command if nothing is in flight. */
static void
at_kick (EsimChannelAt *self)
{
	AtCommand *cmd = g_queue_peek_head (&self->commands);
	g_autofree gchar *log_text = NULL;

	if (cmd == NULL || cmd->sent || self->fd < 0)
		return;
	cmd->sent = TRUE;
	log_text = esim_at_text_for_log (cmd->text);
	g_debug ("%s: --> %s", self->path, log_text);
	g_byte_array_append (self->outbuf, (const guint8 *) cmd->text, strlen (cmd->text));
	g_byte_array_append (self->outbuf, (const guint8 *) "\r", 1);

	source_clear (&self->timeout_source);
	self->timeout_source = g_timeout_source_new (self->timeout_ms);
	g_source_set_callback (self->timeout_source, at_command_timeout_cb, self, NULL);
	g_source_attach (self->timeout_source, self->context);
	port_flush_output (self);
}

static gboolean
at_command_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
	AtCommand *cmd = user_data;
	EsimChannelAt *self = cmd->self;
	g_autoptr(GTask) task = g_steal_pointer (&cmd->task);

	g_clear_pointer (&cmd->cancel_source, g_source_unref);
	if (!cmd->sent) {
		g_queue_remove (&self->commands, cmd);
		at_command_free (cmd);
	}
	/* a written command stays at the head: its answer is swallowed when it comes */
	g_task_return_error_if_cancelled (task);
	return G_SOURCE_REMOVE;
}

/* Queues one AT command.  The result is the array of information lines. */
static void
at_command_async (EsimChannelAt *self, const gchar *text, const gchar *info_prefix,
                  gboolean accept_digits, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	AtCommand *cmd;

	g_task_set_source_tag (task, at_command_async);
	if (g_task_return_error_if_cancelled (task))
		return;
	if (self->fd < 0) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the AT port %s is closed", self->path);
		return;
	}
	cmd = g_new0 (AtCommand, 1);
	cmd->self = self;
	cmd->text = g_strdup (text);
	cmd->name = esim_at_command_name (text);
	cmd->info_prefix = g_strdup (info_prefix);
	cmd->accept_digits = accept_digits;
	cmd->lines = g_ptr_array_new_with_free_func (g_free);
	cmd->task = g_steal_pointer (&task);
	if (cancellable != NULL) {
		cmd->cancel_source = g_cancellable_source_new (cancellable);
		g_source_set_callback (cmd->cancel_source,
		                       (GSourceFunc) (GCallback) at_command_cancelled_cb, cmd, NULL);
		g_source_attach (cmd->cancel_source, self->context);
	}
	g_queue_push_tail (&self->commands, cmd);
	at_kick (self);
}

static GPtrArray *
at_command_finish (EsimChannelAt *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* Finishes a command run for @task: its information lines, at least
 * @min_lines of them, or NULL once @task has its error.  A refusal by the
 * modem becomes @refusal_code, "<@format…> (AT+<command> answered "ERROR")". */
G_GNUC_PRINTF (5, 6) static GPtrArray *
at_command_finish_for_task (GTask *task, GAsyncResult *res, guint min_lines, gint refusal_code,
                            const gchar *format, ...)
{
	EsimChannelAt *self = g_task_get_source_object (task);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *what = NULL;
	va_list args;

	lines = at_command_finish (self, res, &error);
	if (lines != NULL && lines->len >= min_lines)
		return g_steal_pointer (&lines);
	if (lines == NULL && !error_is_modem_refusal (error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return NULL;
	}
	va_start (args, format);
	what = g_strdup_vprintf (format, args);
	va_end (args);
	if (lines == NULL)
		g_task_return_error (task, refusal_error (error, refusal_code, what));
	else
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		                         "%s: the modem answered OK without an information line",
		                         what);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* the port */

static void
port_handle_line (EsimChannelAt *self, const gchar *line)
{
	AtCommand *cmd = g_queue_peek_head (&self->commands);
	gboolean ok = FALSE;

	if (cmd == NULL || !cmd->sent) {
		g_autofree gchar *shown = esim_at_unexpected_line_for_log (line);
		g_debug ("%s: ignoring unsolicited %s", self->path, shown);
		return;
	}
	if (g_ascii_strcasecmp (line, cmd->text) == 0)
		return; /* echo */
	if (esim_at_line_is_final_result (line, &ok)) {
		GError *refusal = NULL;
		guint cme = 0;

		g_debug ("%s: <-- %s", self->path, line);
		g_queue_pop_head (&self->commands);
		source_clear (&self->timeout_source);
		if (!ok)
			refusal = g_error_new (AT_REFUSAL,
			                       esim_at_parse_cme_error (line, &cme) && cme <= G_MAXINT
			                               ? (gint) cme
			                               : AT_REFUSAL_NO_CAUSE,
			                       "%s answered \"%s\"", cmd->name, line);
		at_command_complete (cmd, refusal);
		at_command_free (cmd);
		at_kick (self);
		return;
	}
	if ((cmd->info_prefix != NULL && g_str_has_prefix (line, cmd->info_prefix)) ||
	    (cmd->accept_digits && esim_at_line_is_digits (line))) {
		g_autofree gchar *log_line = esim_at_text_for_log (line);
		g_debug ("%s: <-- %s", self->path, log_line);
		if (cmd->lines->len < AT_MAX_INFO_LINES)
			g_ptr_array_add (cmd->lines, g_strdup (line));
		return;
	}
	{
		g_autofree gchar *shown = esim_at_unexpected_line_for_log (line);
		g_debug ("%s: ignoring unsolicited %s during %s", self->path, shown, cmd->name);
	}
}

/* Splits the input into lines; stops if the port is closed or reopened meanwhile. */
static void
port_process_lines (EsimChannelAt *self, guint generation)
{
	while (self->fd >= 0 && self->generation == generation) {
		g_autofree gchar *line = NULL;

		if (!esim_at_buffer_take_line (self->inbuf, &line))
			return; /* no complete line yet */
		port_handle_line (self, line);
	}
}

static gboolean
port_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	g_autoptr(EsimChannelAt) self = g_object_ref (ESIM_CHANNEL_AT (user_data));
	guint generation = self->generation;
	guint8 buf[512];

	for (;;) {
		gssize n = read (fd, buf, sizeof (buf));
		gint saved_errno = errno;

		if (n > 0) {
			/* NULs would cut lines short: a modem has no business sending them */
			for (gssize i = 0; i < n; i++) {
				if (buf[i] != '\0')
					g_string_append_c (self->inbuf, (gchar) buf[i]);
			}
			continue;
		}
		if (n < 0 && saved_errno == EINTR)
			continue;
		if (n < 0 && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) &&
		    (condition & (G_IO_HUP | G_IO_ERR)) == 0)
			break;
		/* end of file, EIO after a hang-up, or a hang-up without data */
		port_process_lines (self, generation);
		if (self->fd >= 0 && self->generation == generation) {
			sessions_clear (self); /* the modem is gone and its channels with it */
			port_fail (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			                              "the AT port %s is gone: %s", self->path,
			                              n < 0 ? g_strerror (saved_errno)
			                                    : "end of file"));
		}
		return G_SOURCE_REMOVE;
	}
	port_process_lines (self, generation);
	if (self->fd >= 0 && self->generation == generation && self->inbuf->len > AT_MAX_LINE) {
		port_fail (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                              "the modem on %s sent a line of more than %d bytes",
		                              self->path, AT_MAX_LINE));
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
port_writable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	g_autoptr(EsimChannelAt) self = g_object_ref (ESIM_CHANNEL_AT (user_data));

	/* returning G_SOURCE_REMOVE destroys it; flushing adds a new one if needed */
	g_clear_pointer (&self->write_source, g_source_unref);
	port_flush_output (self);
	return G_SOURCE_REMOVE;
}

static void
port_flush_output (EsimChannelAt *self)
{
	while (self->fd >= 0 && self->outbuf->len > 0) {
		gssize n = write (self->fd, self->outbuf->data, self->outbuf->len);
		gint saved_errno = errno;

		if (n > 0) {
			g_byte_array_remove_range (self->outbuf, 0, (guint) n);
			continue;
		}
		if (n < 0 && saved_errno == EINTR)
			continue;
		if (n < 0 && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
			if (self->write_source == NULL) {
				self->write_source = g_unix_fd_source_new (self->fd, G_IO_OUT);
				g_source_set_callback (self->write_source,
				                       (GSourceFunc) (GCallback) port_writable_cb,
				                       self, NULL);
				g_source_attach (self->write_source, self->context);
			}
			return;
		}
		port_fail (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                              "cannot write to the AT port %s: %s", self->path,
		                              n < 0 ? g_strerror (saved_errno) : "nothing written"));
		return;
	}
}

static void
port_close_fd (EsimChannelAt *self)
{
	source_clear (&self->read_source);
	source_clear (&self->write_source);
	source_clear (&self->timeout_source);
	if (self->fd >= 0) {
		g_debug ("%s: closing the AT port", self->path);
		close (self->fd);
		self->fd = -1;
	}
	g_string_truncate (self->inbuf, 0);
	g_byte_array_set_size (self->outbuf, 0);
}

/* Closes the port and fails every queued command with a copy of @error (taken). */
static void
port_fail (EsimChannelAt *self, GError *error)
{
	g_autoptr(GError) reason = error;
	GQueue pending = self->commands;

	/* completing a command may drop the caller's last reference */
	g_object_ref (self);
	g_debug ("%s: %s", self->path, reason->message);
	port_close_fd (self);
	/* a probe in progress ends through its own failing command */
	if (self->state != PORT_PREPARING)
		self->state = PORT_CLOSED;
	g_queue_init (&self->commands);
	while (!g_queue_is_empty (&pending)) {
		AtCommand *cmd = g_queue_pop_head (&pending);
		at_command_complete (cmd, g_error_copy (reason));
		at_command_free (cmd);
	}
	g_object_unref (self);
}

static gboolean
port_open (EsimChannelAt *self, GError **error)
{
	struct termios tio;
	gint fd;

	fd = open (self->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		gint saved_errno = errno;
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		             "cannot open the AT port %s: %s%s", self->path, g_strerror (saved_errno),
		             saved_errno == EBUSY ? " (is ModemManager or another program using it?)"
		                                  : "");
		return FALSE;
	}
	if (tcgetattr (fd, &tio) < 0) {
		gint saved_errno = errno;
		close (fd);
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		             "%s is not a serial port: %s", self->path, g_strerror (saved_errno));
		return FALSE;
	}
	cfmakeraw (&tio);
	/* no modem-control or flow-control lines: USB AT ports have none */
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~CRTSCTS;
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed (&tio, B115200);
	cfsetospeed (&tio, B115200);
	if (tcsetattr (fd, TCSANOW, &tio) < 0) {
		gint saved_errno = errno;
		close (fd);
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		             "cannot configure the AT port %s: %s", self->path,
		             g_strerror (saved_errno));
		return FALSE;
	}
	/* whatever is waiting answers someone else's command */
	tcflush (fd, TCIOFLUSH);

	self->fd = fd;
	self->generation++;
	self->read_source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback (self->read_source, (GSourceFunc) (GCallback) port_readable_cb, self,
	                       NULL);
	g_source_attach (self->read_source, self->context);
	g_debug ("%s: AT port opened", self->path);
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* preparing the port: open, sync, set up, probe */

typedef enum {
	PREPARE_STEP_OPEN,
	PREPARE_STEP_SYNC,
	PREPARE_STEP_ECHO_OFF,
	PREPARE_STEP_ERROR_CODES,
	PREPARE_STEP_PROBE_CCHO,
	PREPARE_STEP_PROBE_CGLA,
	PREPARE_STEP_PROBE_CCHC,
	PREPARE_STEP_PROBE_CSIM,
	PREPARE_STEP_CHOOSE_MODE,
	PREPARE_STEP_DONE,
} PrepareStep;

typedef struct {
	PrepareStep step;
	guint sync_attempts;
	gboolean has_ccho;
	gboolean has_cgla;
	gboolean has_cchc;
	gboolean has_csim;
} PrepareContext;

/* a modem answers OK to the test form of each command it implements */
static const gchar *const prepare_probes[] = {
	[PREPARE_STEP_PROBE_CCHO] = "AT+CCHO=?",
	[PREPARE_STEP_PROBE_CGLA] = "AT+CGLA=?",
	[PREPARE_STEP_PROBE_CCHC] = "AT+CCHC=?",
	[PREPARE_STEP_PROBE_CSIM] = "AT+CSIM=?",
};

static void prepare_step (GTask *task);

static void
prepare_finish_waiters (EsimChannelAt *self, const GError *error)
{
	GQueue waiters = self->prepare_waiters;
	g_autoptr(GError) lost = NULL;

	/* the port may have failed after the last probe answered */
	if (error == NULL && self->fd < 0) {
		lost = g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the AT port %s closed while it was being probed", self->path);
		error = lost;
	}
	if (error != NULL) {
		self->state = PORT_CLOSED;
		g_debug ("cannot use the AT port %s: %s", self->path, error->message);
		port_fail (self, g_error_copy (error));
	} else {
		self->state = PORT_READY;
	}
	g_queue_init (&self->prepare_waiters);
	while (!g_queue_is_empty (&waiters)) {
		g_autoptr(GTask) waiter = g_queue_pop_head (&waiters);
		if (error != NULL)
			g_task_return_error (waiter, g_error_copy (error));
		else if (!g_task_return_error_if_cancelled (waiter))
			g_task_return_boolean (waiter, TRUE);
	}
}

static void
prepare_command_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	PrepareContext *ctx = g_task_get_task_data (task);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	lines = at_command_finish (self, res, &error);
	ok = lines != NULL;
	if (!ok && !error_is_modem_refusal (error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	switch (ctx->step) {
	case PREPARE_STEP_SYNC:
		if (!ok && ++ctx->sync_attempts < AT_SYNC_ATTEMPTS) {
			/* the modem may have had half a line of someone else's in its buffer */
			prepare_step (task);
			return;
		}
		if (!ok) {
			g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			                         "%s does not answer AT commands (%s)", self->path,
			                         error->message);
			return;
		}
		break;
	case PREPARE_STEP_ECHO_OFF:
		break; /* echo is tolerated anyway */
	case PREPARE_STEP_ERROR_CODES:
		/* optional, as for ModemManager: errors then come without their cause */
		if (!ok)
			g_debug ("%s: errors will carry no cause: %s", self->path, error->message);
		break;
	case PREPARE_STEP_PROBE_CCHO:
		ctx->has_ccho = ok;
		break;
	case PREPARE_STEP_PROBE_CGLA:
		ctx->has_cgla = ok;
		break;
	case PREPARE_STEP_PROBE_CCHC:
		ctx->has_cchc = ok;
		break;
	case PREPARE_STEP_PROBE_CSIM:
		ctx->has_csim = ok;
		break;
	case PREPARE_STEP_OPEN:
	case PREPARE_STEP_CHOOSE_MODE:
	case PREPARE_STEP_DONE:
		/* these steps send no command */
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
		                         "AT port probe answered in step %d", ctx->step);
		return;
	}
	ctx->step++;
	prepare_step (task);
}

static gboolean
prepare_choose_mode (EsimChannelAt *self, PrepareContext *ctx, GError **error)
{
	self->has_cchc = ctx->has_ccho && ctx->has_cgla && ctx->has_cchc;
	self->has_csim = ctx->has_csim;
	if (ctx->has_ccho && ctx->has_cgla && !self->force_csim) {
		self->mode = ESIM_CHANNEL_AT_MODE_LOGICAL;
	} else if (ctx->has_csim) {
		self->mode = ESIM_CHANNEL_AT_MODE_CSIM;
	} else {
		self->mode = ESIM_CHANNEL_AT_MODE_UNKNOWN;
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		             "the modem on %s offers neither AT+CCHO/AT+CGLA nor AT+CSIM",
		             self->path);
		return FALSE;
	}
	g_debug ("%s: using %s%s", self->path,
	         self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL ? "AT+CCHO/AT+CGLA" : "AT+CSIM",
	         self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL && !self->has_cchc
	                 ? " (no AT+CCHC: channels are closed with MANAGE CHANNEL)"
	                 : "");
	return TRUE;
}

static void
prepare_step (GTask *task)
{
	EsimChannelAt *self = g_task_get_source_object (task);
	PrepareContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	switch (ctx->step) {
	case PREPARE_STEP_OPEN:
		if (!port_open (self, &error)) {
			g_task_return_error (task, error);
			return;
		}
		ctx->step++;
		/* fall through */
	case PREPARE_STEP_SYNC:
		at_command_async (self, "AT", NULL, FALSE, NULL, prepare_command_ready,
		                  g_object_ref (task));
		return;
	case PREPARE_STEP_ECHO_OFF:
		at_command_async (self, "ATE0", NULL, FALSE, NULL, prepare_command_ready,
		                  g_object_ref (task));
		return;
	case PREPARE_STEP_ERROR_CODES:
		/* numeric +CME ERROR codes (27.007 §9.1) */
		at_command_async (self, "AT+CMEE=1", NULL, FALSE, NULL, prepare_command_ready,
		                  g_object_ref (task));
		return;
	case PREPARE_STEP_PROBE_CCHO:
	case PREPARE_STEP_PROBE_CGLA:
	case PREPARE_STEP_PROBE_CCHC:
	case PREPARE_STEP_PROBE_CSIM:
		at_command_async (self, prepare_probes[ctx->step], NULL, FALSE, NULL,
		                  prepare_command_ready, g_object_ref (task));
		return;
	case PREPARE_STEP_CHOOSE_MODE:
		if (!prepare_choose_mode (self, ctx, &error)) {
			g_task_return_error (task, error);
			return;
		}
		ctx->step++;
		/* fall through */
	case PREPARE_STEP_DONE:
		g_task_return_boolean (task, TRUE);
		return;
	}
}

static void
prepare_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	g_autoptr(GError) error = NULL;

	if (!g_task_propagate_boolean (G_TASK (res), &error))
		prepare_finish_waiters (self, error);
	else
		prepare_finish_waiters (self, NULL);
}

/* Completes once the port is open and probed (at once when it already is). */
static void
ensure_ready_async (EsimChannelAt *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autoptr(GTask) prepare = NULL;

	g_task_set_source_tag (task, ensure_ready_async);
	if (self->state == PORT_READY && self->fd < 0)
		self->state = PORT_CLOSED;
	if (self->state == PORT_READY) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	g_queue_push_tail (&self->prepare_waiters, g_steal_pointer (&task));
	if (self->state == PORT_PREPARING)
		return;

	self->state = PORT_PREPARING;
	self->mode = ESIM_CHANNEL_AT_MODE_UNKNOWN;
	/* not cancellable: several callers may be waiting for it */
	prepare = g_task_new (self, NULL, prepare_ready, NULL);
	g_task_set_source_tag (prepare, prepare_step);
	g_task_set_task_data (prepare, g_new0 (PrepareContext, 1), g_free);
	prepare_step (prepare);
}

static gboolean
ensure_ready_finish (EsimChannelAt *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* Finishes ensure_ready_async() for @task; FALSE once @task has the error. */
static gboolean
ensure_ready_finish_for_task (GTask *task, GAsyncResult *res)
{
	GError *error = NULL;

	if (ensure_ready_finish (g_task_get_source_object (task), res, &error))
		return TRUE;
	g_task_return_error (task, error);
	return FALSE;
}

/* ------------------------------------------------------------------------ */
/* transmit */

/* One command APDU over +CGLA on a session, or over +CSIM. */
typedef struct {
	gint channel;        /* the caller's number, for errors; 0: the basic channel */
	gboolean cgla;       /* +CGLA on @session_id, else +CSIM */
	guint session_id;
	GBytes *command;     /* as sent: the CLA re-coded for a session */
	const gchar *name;   /* "AT+CGLA" or "AT+CSIM" */
	const gchar *prefix; /* "+CGLA:" or "+CSIM:" */
} ApduExchange;

static void
apdu_exchange_free (ApduExchange *exchange)
{
	g_clear_pointer (&exchange->command, g_bytes_unref);
	g_free (exchange);
}

static void
apdu_exchange_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	ApduExchange *exchange = g_task_get_task_data (task);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *what = NULL;
	GBytes *response;

	lines = at_command_finish (self, res, &error);
	if (lines == NULL && !error_is_modem_refusal (error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (lines == NULL) {
		/* 21 "invalid index": the modem no longer knows the session (the card reset) */
		gboolean gone = exchange->cgla && refusal_is (error, ESIM_AT_CME_INVALID_INDEX);

		if (exchange->cgla)
			what = g_strdup_printf ("the modem refused the APDU on channel %d (session %u)",
			                        exchange->channel, exchange->session_id);
		else
			what = g_strdup_printf ("the modem refused the APDU on channel %d",
			                        exchange->channel);
		g_task_return_error (task, refusal_error (error,
		                                          gone ? ESIM_APDU_ERROR_CHANNEL_CLOSED
		                                               : ESIM_APDU_ERROR_TRANSPORT,
		                                          what));
		return;
	}
	if (lines->len < 1) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		                         "%s: the modem answered OK without an information line",
		                         exchange->name);
		return;
	}
	response = esim_at_parse_apdu_answer (g_ptr_array_index (lines, 0), exchange->prefix, &error);
	if (response == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_pointer (task, response, (GDestroyNotify) g_bytes_unref);
}

/* Sends @exchange (taken) on a port that is ready; the result is the response APDU. */
static void
apdu_exchange_async (EsimChannelAt *self, ApduExchange *exchange, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autofree gchar *hex = esim_hex_encode_bytes (exchange->command);
	g_autofree gchar *text = NULL;

	g_task_set_source_tag (task, apdu_exchange_async);
	g_task_set_task_data (task, exchange, (GDestroyNotify) apdu_exchange_free);
	if (exchange->cgla) {
		exchange->name = "AT+CGLA";
		exchange->prefix = "+CGLA:";
		text = g_strdup_printf ("AT+CGLA=%u,%" G_GSIZE_FORMAT ",\"%s\"", exchange->session_id,
		                        strlen (hex), hex);
	} else {
		exchange->name = "AT+CSIM";
		exchange->prefix = "+CSIM:";
		text = g_strdup_printf ("AT+CSIM=%" G_GSIZE_FORMAT ",\"%s\"", strlen (hex), hex);
	}
	at_command_async (self, text, exchange->prefix, FALSE, cancellable, apdu_exchange_ready,
	                  g_steal_pointer (&task));
}

static GBytes *
apdu_exchange_finish (EsimChannelAt *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* @command with the CLA's channel bits set to @card_channel. */
static GBytes *
command_for_card_channel (GBytes *command, guint card_channel)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (command, &len);
	guint8 cla = data[0];
	guint8 *copy;

	if (!esim_at_cla_set_channel (data[0], card_channel, &cla) || cla == data[0])
		return g_bytes_ref (command);
	copy = g_memdup2 (data, len);
	copy[0] = cla;
	return g_bytes_new_take (copy, len);
}

/* The exchange that carries @command on the caller's @channel. */
static ApduExchange *
apdu_exchange_for_session (EsimChannelAt *self, gint channel, GBytes *command)
{
	const AtSession *session = &self->sessions[channel];
	ApduExchange *exchange = g_new0 (ApduExchange, 1);

	exchange->channel = channel;
	if (channel > 0 && session->kind == AT_SESSION_CCHO) {
		exchange->cgla = TRUE;
		exchange->session_id = session->session_id;
	}
	/* the basic channel, and unknown numbers (the raw open's SELECT): as they are */
	if (channel > 0 && session->kind != AT_SESSION_NONE)
		exchange->command = command_for_card_channel (command, session->card_channel);
	else
		exchange->command = g_bytes_ref (command);
	return exchange;
}

static void
transmit_exchange_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	GError *error = NULL;
	GBytes *response;

	response = apdu_exchange_finish (ESIM_CHANNEL_AT (source), res, &error);
	if (response == NULL)
		g_task_return_error (task, error);
	else
		g_task_return_pointer (task, response, (GDestroyNotify) g_bytes_unref);
}

typedef struct {
	gint channel;
	GBytes *command;
} TransmitContext;

static void
transmit_context_free (TransmitContext *ctx)
{
	g_bytes_unref (ctx->command);
	g_free (ctx);
}

static void
transmit_prepared (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	TransmitContext *ctx = g_task_get_task_data (task);
	ApduExchange *exchange;

	if (!ensure_ready_finish_for_task (task, res))
		return;
	exchange = apdu_exchange_for_session (self, ctx->channel, ctx->command);
	if (!exchange->cgla && !self->has_csim) {
		if (ctx->channel == 0)
			g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			                         "the modem on %s has no AT+CSIM to reach the basic "
			                         "channel", self->path);
		else
			g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
			                         "logical channel %d is not open on %s", ctx->channel,
			                         self->path);
		apdu_exchange_free (exchange);
		return;
	}
	apdu_exchange_async (self, exchange, g_task_get_cancellable (task), transmit_exchange_ready,
	                     g_object_ref (task));
}

static void
esim_channel_at_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (channel);
	g_autoptr(GTask) task = NULL;
	TransmitContext *ctx;
	gsize len;

	g_return_if_fail (command != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_at_transmit_async);
	len = g_bytes_get_size (command);
	if (logical_channel < 0 || logical_channel > AT_MAX_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "no logical channel %d", logical_channel);
		return;
	}
	if (len < 4 || len > AT_MAX_APDU) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "a command APDU of %" G_GSIZE_FORMAT " bytes", len);
		return;
	}
	ctx = g_new0 (TransmitContext, 1);
	ctx->channel = logical_channel;
	ctx->command = g_bytes_ref (command);
	g_task_set_task_data (task, ctx, (GDestroyNotify) transmit_context_free);
	ensure_ready_async (self, cancellable, transmit_prepared, g_steal_pointer (&task));
}

static GBytes *
esim_channel_at_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* open */

typedef enum {
	OPEN_STEP_PREPARE,
	OPEN_STEP_CHOOSE,         /* +CCHO when the modem has it, else +CSIM */
	OPEN_STEP_CCHO,
	OPEN_STEP_CSIM,           /* MANAGE CHANNEL + SELECT over +CSIM */
	OPEN_STEP_SWEEP_SESSIONS, /* the card is full: others' sessions, with +CCHC */
	OPEN_STEP_SWEEP_CHANNELS, /* still full: others' channels, with MANAGE CHANNEL */
	OPEN_STEP_DONE,
} OpenStep;

typedef struct {
	OpenStep step;
	GBytes *aid;
	gboolean swept;        /* the card was found full once: no second sweep */
	guint sweep_next;      /* the last session id or channel the sweep tried */
	guint swept_sessions;  /* how many foreign sessions +CCHC closed */
	GError *ccho_refusal;  /* why +CCHO failed, when +CSIM is tried instead */
	gint channel;
} OpenContext;

static void
open_context_free (OpenContext *ctx)
{
	g_bytes_unref (ctx->aid);
	g_clear_error (&ctx->ccho_refusal);
	g_free (ctx);
}

static void open_step (GTask *task);

static void
open_next (GTask *task, OpenStep step)
{
	OpenContext *ctx = g_task_get_task_data (task);

	ctx->step = step;
	open_step (task);
}

static void
open_prepared (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);

	if (ensure_ready_finish_for_task (task, res))
		open_next (task, OPEN_STEP_CHOOSE);
}

static void
open_csim_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	OpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	gint channel;

	channel = esim_channel_raw_open_finish (ESIM_CHANNEL (self), res, &error);
	if (channel < 0 && !ctx->swept &&
	    g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL)) {
		g_message ("%s: the card has no free logical channel (%s); closing others' sessions",
		           self->path, error->message);
		open_next (task, OPEN_STEP_SWEEP_SESSIONS);
		return;
	}
	if (channel < 0) {
		if (ctx->ccho_refusal != NULL)
			g_prefix_error (&error, "%s; over AT+CSIM: ", ctx->ccho_refusal->message);
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (self->sessions[channel].kind != AT_SESSION_NONE) {
		/* cannot happen while no +CCHO session is open; do not mix them up */
		esim_channel_raw_close_async (ESIM_CHANNEL (self), channel, NULL, NULL, NULL);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                         "the card opened channel %d, which is in use", channel);
		return;
	}
	self->sessions[channel] = (AtSession) { AT_SESSION_CSIM, 0, (guint) channel };
	g_debug ("%s: logical channel %d open (MANAGE CHANNEL over AT+CSIM)", self->path, channel);
	ctx->channel = channel;
	open_next (task, OPEN_STEP_DONE);
}

/* Registers +CCHO session @session_id under a number of ours; 0 when none is free. */
static gint
open_register_session (EsimChannelAt *self, guint session_id)
{
	/* an id that may be the card's channel is coded as is; any other only the MT can map */
	gboolean maybe_channel = session_id >= 1 && session_id <= AT_MAX_CHANNEL;
	guint number = sessions_pick_number (self, maybe_channel ? session_id : 0);

	if (number == 0)
		return 0;
	self->sessions[number] = (AtSession) { AT_SESSION_CCHO, session_id,
	                                       maybe_channel ? session_id : 0 };
	if (maybe_channel)
		g_debug ("%s: session %u open as channel %u, coded as channel %u in the CLA",
		         self->path, session_id, number, session_id);
	else
		g_debug ("%s: session %u open as channel %u; the modem codes the card's channel "
		         "in the CLA", self->path, session_id, number);
	return (gint) number;
}

static void
open_ccho_refused (GTask *task, GError *refusal)
{
	EsimChannelAt *self = g_task_get_source_object (task);
	OpenContext *ctx = g_task_get_task_data (task);

	g_clear_error (&ctx->ccho_refusal);
	ctx->ccho_refusal = refusal_error (refusal, ESIM_APDU_ERROR_NO_CHANNEL,
	                                   "the modem refuses to open a logical channel");
	if (self->has_csim && !sessions_have_ccho (self)) {
		g_debug ("%s: %s; trying MANAGE CHANNEL over AT+CSIM", self->path,
		         ctx->ccho_refusal->message);
		open_next (task, OPEN_STEP_CSIM);
		return;
	}
	if (!ctx->swept && refusal_is (refusal, ESIM_AT_CME_MEMORY_FULL)) {
		g_message ("%s: the card has no free logical channel; closing others' sessions",
		           self->path);
		open_next (task, OPEN_STEP_SWEEP_SESSIONS);
		return;
	}
	g_task_return_error (task, g_steal_pointer (&ctx->ccho_refusal));
}

static void
open_ccho_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	OpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	guint session_id = 0;

	lines = at_command_finish (self, res, &error);
	if (lines == NULL && error_is_modem_refusal (error)) {
		open_ccho_refused (task, error);
		return;
	}
	if (lines == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (lines->len < 1) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		                         "AT+CCHO: the modem answered OK without a session id");
		return;
	}
	if (!esim_at_parse_session_id (g_ptr_array_index (lines, 0), &session_id, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	ctx->channel = open_register_session (self, session_id);
	if (ctx->channel == 0) {
		if (self->has_cchc) {
			g_autofree gchar *text = g_strdup_printf ("AT+CCHC=%u", session_id);
			at_command_async (self, text, NULL, FALSE, NULL, NULL, NULL);
		}
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                         "all %d logical channels of %s are in use", AT_MAX_CHANNEL,
		                         self->path);
		return;
	}
	if (g_task_return_error_if_cancelled (task)) {
		/* the caller is gone but the channel is open: do not leak it */
		esim_channel_close_async (ESIM_CHANNEL (self), ctx->channel, NULL, NULL, NULL);
		return;
	}
	open_next (task, OPEN_STEP_DONE);
}

static void
open_sweep_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	OpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	gboolean closed;

	if (ctx->step == OPEN_STEP_SWEEP_SESSIONS) {
		lines = at_command_finish (self, res, &error);
		closed = lines != NULL;
	} else {
		guint16 sw = 0;

		response = apdu_exchange_finish (self, res, &error);
		closed = response != NULL && esim_apdu_response_parse (response, NULL, &sw, NULL) &&
		         sw == ESIM_SW_OK;
	}
	/* a refusal means nothing of others was open there; only a failed port stops the sweep */
	if (error != NULL && self->fd < 0) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (closed && ctx->step == OPEN_STEP_SWEEP_SESSIONS) {
		ctx->swept_sessions++;
		g_message ("%s: closed session %u, which another user left open", self->path,
		           ctx->sweep_next);
	} else if (closed) {
		g_message ("%s: closed logical channel %u, which another user left open",
		           self->path, ctx->sweep_next);
	}
	open_step (task);
}

/* Sends the next +CCHC or MANAGE CHANNEL close of the sweep; FALSE when done. */
static gboolean
open_sweep_next (GTask *task)
{
	EsimChannelAt *self = g_task_get_source_object (task);
	OpenContext *ctx = g_task_get_task_data (task);

	if (ctx->step == OPEN_STEP_SWEEP_SESSIONS) {
		while (++ctx->sweep_next <= AT_SWEEP_MAX_SESSION) {
			g_autofree gchar *text = NULL;

			if (sessions_have_ccho_id (self, ctx->sweep_next))
				continue;
			text = g_strdup_printf ("AT+CCHC=%u", ctx->sweep_next);
			at_command_async (self, text, NULL, FALSE, NULL, open_sweep_ready,
			                  g_object_ref (task));
			return TRUE;
		}
		return FALSE;
	}
	while (++ctx->sweep_next <= AT_MAX_CHANNEL) {
		guint8 close_cmd[] = {
			ESIM_CLA_INTERINDUSTRY, ESIM_INS_MANAGE_CHANNEL,
			ESIM_MANAGE_CHANNEL_P1_CLOSE, (guint8) ctx->sweep_next, 0x00,
		};
		ApduExchange *exchange;

		if (self->sessions[ctx->sweep_next].kind != AT_SESSION_NONE)
			continue;
		exchange = g_new0 (ApduExchange, 1);
		exchange->command = g_bytes_new (close_cmd, sizeof (close_cmd));
		apdu_exchange_async (self, exchange, NULL, open_sweep_ready, g_object_ref (task));
		return TRUE;
	}
	return FALSE;
}

static void
open_step (GTask *task)
{
	EsimChannelAt *self = g_task_get_source_object (task);
	OpenContext *ctx = g_task_get_task_data (task);
	g_autofree gchar *text = NULL;
	g_autofree gchar *hex = NULL;

	switch (ctx->step) {
	case OPEN_STEP_PREPARE:
		ensure_ready_async (self, g_task_get_cancellable (task), open_prepared,
		                    g_object_ref (task));
		return;
	case OPEN_STEP_CHOOSE:
		if (g_task_return_error_if_cancelled (task))
			return;
		open_next (task, self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL ? OPEN_STEP_CCHO
		                                                             : OPEN_STEP_CSIM);
		return;
	case OPEN_STEP_CCHO:
		hex = esim_hex_encode_bytes (ctx->aid);
		text = g_strdup_printf ("AT+CCHO=\"%s\"", hex);
		/* not cancellable once written: the answer carries a session to close */
		at_command_async (self, text, "+CCHO:", TRUE, NULL, open_ccho_ready,
		                  g_object_ref (task));
		return;
	case OPEN_STEP_CSIM:
		esim_channel_raw_open_async (ESIM_CHANNEL (self), ctx->aid,
		                             g_task_get_cancellable (task), open_csim_ready,
		                             g_object_ref (task));
		return;
	case OPEN_STEP_SWEEP_SESSIONS:
		ctx->swept = TRUE;
		if (self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL && self->has_cchc && open_sweep_next (task))
			return;
		ctx->step = OPEN_STEP_SWEEP_CHANNELS;
		ctx->sweep_next = 0;
		/* only when no session was closed: the channel may be the modem's own (ISIM) */
		if (ctx->swept_sessions == 0 && self->has_csim && !sessions_have_ccho (self) &&
		    open_sweep_next (task))
			return;
		open_next (task, OPEN_STEP_CHOOSE);
		return;
	case OPEN_STEP_SWEEP_CHANNELS:
		if (open_sweep_next (task))
			return;
		open_next (task, OPEN_STEP_CHOOSE);
		return;
	case OPEN_STEP_DONE:
		g_task_return_int (task, ctx->channel);
		return;
	}
}

static void
esim_channel_at_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (channel);
	g_autoptr(GTask) task = NULL;
	OpenContext *ctx;
	gsize aid_len;

	g_return_if_fail (aid != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_at_open_async);
	/* an open channel is never reported as cancelled: open_ccho_ready decides */
	g_task_set_check_cancellable (task, FALSE);
	aid_len = g_bytes_get_size (aid);
	if (aid_len < 1 || aid_len > 16) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "AID of %" G_GSIZE_FORMAT " bytes (must be 1-16)", aid_len);
		return;
	}
	ctx = g_new0 (OpenContext, 1);
	ctx->aid = g_bytes_ref (aid);
	g_task_set_task_data (task, ctx, (GDestroyNotify) open_context_free);
	open_step (task);
}

static gint
esim_channel_at_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), -1);
	return (gint) g_task_propagate_int (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* close */

typedef struct {
	gint channel;      /* the caller's number */
	AtSession session; /* what it was, once forgotten */
} CloseContext;

static void
close_cchc_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	CloseContext *ctx = g_task_get_task_data (task);
	g_autoptr(GPtrArray) lines = NULL;

	lines = at_command_finish_for_task (task, res, 0, ESIM_APDU_ERROR_FAILED,
	                                    "the modem refuses to close session %u",
	                                    ctx->session.session_id);
	if (lines != NULL)
		g_task_return_boolean (task, TRUE);
}

static void
close_raw_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(GError) error = NULL;

	if (!esim_channel_raw_close_finish (ESIM_CHANNEL (source), res, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_boolean (task, TRUE);
}

/* No +CCHC and no +CSIM: MANAGE CHANNEL close sent on the session itself. */
static void
close_cgla_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;
	guint16 sw = 0;

	response = apdu_exchange_finish (ESIM_CHANNEL_AT (source), res, &error);
	if (response == NULL || !esim_apdu_response_parse (response, NULL, &sw, &error) ||
	    !esim_apdu_check_sw (sw, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_boolean (task, TRUE);
}

static void
close_prepared (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	CloseContext *ctx = g_task_get_task_data (task);
	AtSession *session = &ctx->session;

	if (!ensure_ready_finish_for_task (task, res))
		return;
	if (self->sessions[ctx->channel].kind == AT_SESSION_NONE) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
		                         "logical channel %d is not open on %s", ctx->channel,
		                         self->path);
		return;
	}
	/* forgotten even if the modem refuses: the sweep closes it when it is in the way */
	*session = self->sessions[ctx->channel];
	self->sessions[ctx->channel] = (AtSession) { AT_SESSION_NONE, 0, 0 };
	/* none of these is cancellable: a channel must not leak */
	if (session->kind == AT_SESSION_CCHO && self->has_cchc) {
		g_autofree gchar *text = g_strdup_printf ("AT+CCHC=%u", session->session_id);
		at_command_async (self, text, NULL, FALSE, NULL, close_cchc_ready,
		                  g_object_ref (task));
	} else if (session->card_channel == 0) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED,
		                         "cannot close session %u: the modem on %s has no AT+CCHC, "
		                         "and only the modem knows the session's channel",
		                         session->session_id, self->path);
	} else if (self->has_csim) {
		esim_channel_raw_close_async (ESIM_CHANNEL (self), (gint) session->card_channel,
		                              NULL, close_raw_ready, g_object_ref (task));
	} else {
		guint8 close_cmd[] = {
			ESIM_CLA_INTERINDUSTRY, ESIM_INS_MANAGE_CHANNEL,
			ESIM_MANAGE_CHANNEL_P1_CLOSE, (guint8) session->card_channel, 0x00,
		};
		ApduExchange *exchange = g_new0 (ApduExchange, 1);

		close_cmd[0] = esim_apdu_cla_for_channel (session->card_channel, FALSE);
		exchange->channel = ctx->channel;
		exchange->cgla = TRUE;
		exchange->session_id = session->session_id;
		exchange->command = g_bytes_new (close_cmd, sizeof (close_cmd));
		apdu_exchange_async (self, exchange, NULL, close_cgla_ready, g_object_ref (task));
	}
}

static void
esim_channel_at_close_async (EsimChannel *channel, gint logical_channel,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	CloseContext *ctx;

	g_task_set_source_tag (task, esim_channel_at_close_async);
	if (logical_channel < 1 || logical_channel > AT_MAX_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "cannot close logical channel %d", logical_channel);
		return;
	}
	ctx = g_new0 (CloseContext, 1);
	ctx->channel = logical_channel;
	g_task_set_task_data (task, ctx, g_free);
	/* the cancellable only bounds the wait for the port, not the close itself */
	ensure_ready_async (self, cancellable, close_prepared, g_steal_pointer (&task));
}

static gboolean
esim_channel_at_close_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* GObject and the public API */

static const gchar *
esim_channel_at_get_transport (EsimChannel *channel)
{
	return "at";
}

static void
esim_channel_at_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = esim_channel_at_get_transport;
	iface->open_async = esim_channel_at_open_async;
	iface->open_finish = esim_channel_at_open_finish;
	iface->transmit_async = esim_channel_at_transmit_async;
	iface->transmit_finish = esim_channel_at_transmit_finish;
	iface->close_async = esim_channel_at_close_async;
	iface->close_finish = esim_channel_at_close_finish;
}

static void
esim_channel_at_dispose (GObject *object)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (object);

	port_close_fd (self);
	/* only commands whose caller gave up can be left: the others hold a reference */
	while (!g_queue_is_empty (&self->commands))
		at_command_free (g_queue_pop_head (&self->commands));
	G_OBJECT_CLASS (esim_channel_at_parent_class)->dispose (object);
}

static void
esim_channel_at_finalize (GObject *object)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (object);

	g_free (self->path);
	g_string_free (self->inbuf, TRUE);
	g_byte_array_unref (self->outbuf);
	g_main_context_unref (self->context);
	G_OBJECT_CLASS (esim_channel_at_parent_class)->finalize (object);
}

static void
esim_channel_at_class_init (EsimChannelAtClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_channel_at_dispose;
	object_class->finalize = esim_channel_at_finalize;
}

static void
esim_channel_at_init (EsimChannelAt *self)
{
	self->fd = -1;
	self->timeout_ms = ESIM_CHANNEL_AT_DEFAULT_TIMEOUT_MS;
	self->inbuf = g_string_new (NULL);
	self->outbuf = g_byte_array_new ();
	self->context = g_main_context_ref_thread_default ();
	g_queue_init (&self->commands);
	g_queue_init (&self->prepare_waiters);
}

/**
 * esim_channel_at_new:
 * @tty_path: the modem's AT port, e.g. /dev/ttyUSB2
 *
 * Nothing is opened yet; I/O runs on the thread-default main context of the
 * caller.
 */
EsimChannelAt *
esim_channel_at_new (const gchar *tty_path)
{
	EsimChannelAt *self;

	g_return_val_if_fail (tty_path != NULL && *tty_path != '\0', NULL);
	self = g_object_new (ESIM_TYPE_CHANNEL_AT, NULL);
	self->path = g_strdup (tty_path);
	return self;
}

const gchar *
esim_channel_at_get_path (EsimChannelAt *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), NULL);
	return self->path;
}

void
esim_channel_at_set_timeout (EsimChannelAt *self, guint timeout_ms)
{
	g_return_if_fail (ESIM_IS_CHANNEL_AT (self));
	g_return_if_fail (timeout_ms > 0);
	self->timeout_ms = timeout_ms;
}

guint
esim_channel_at_get_timeout (EsimChannelAt *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), 0);
	return self->timeout_ms;
}

void
esim_channel_at_set_force_csim (EsimChannelAt *self, gboolean force_csim)
{
	g_return_if_fail (ESIM_IS_CHANNEL_AT (self));
	self->force_csim = force_csim;
}

void
esim_channel_at_prepare_async (EsimChannelAt *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail (ESIM_IS_CHANNEL_AT (self));
	ensure_ready_async (self, cancellable, callback, user_data);
}

gboolean
esim_channel_at_prepare_finish (EsimChannelAt *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), FALSE);
	return ensure_ready_finish (self, res, error);
}

EsimChannelAtMode
esim_channel_at_get_mode (EsimChannelAt *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), ESIM_CHANNEL_AT_MODE_UNKNOWN);
	return self->mode;
}

gboolean
esim_channel_at_get_has_cchc (EsimChannelAt *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), FALSE);
	return self->has_cchc;
}

void
esim_channel_at_close_port (EsimChannelAt *self)
{
	g_return_if_fail (ESIM_IS_CHANNEL_AT (self));
	if (self->fd < 0)
		return;
	port_fail (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
	                              "the AT port %s was closed", self->path));
}

gboolean
esim_channel_at_is_port_open (EsimChannelAt *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_AT (self), FALSE);
	return self->fd >= 0;
}
