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
 * still tolerated: some modems ignore ATE0), probe AT+CCHO=?, AT+CGLA=?,
 * AT+CCHC=? and AT+CSIM=?, then close logical channels 1–3 left open by an
 * earlier, crashed user with AT+CCHC (as lpac does; errors ignored).  Without
 * +CCHC nothing is cleared: a raw MANAGE CHANNEL close could also close a
 * channel the modem itself uses (e.g. for the ISIM).
 *
 * Logical channel numbers: the +CCHO session id is used as the channel number
 * in the CLA (as lpac does and as modems that implement it do); a session id
 * outside 1–19 cannot be coded in a CLA and is refused.
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
#include "esim-util.h"

/* a +CGLA answer with 256 bytes of data is ~540 characters */
#define AT_MAX_LINE          8192
#define AT_MAX_INFO_LINES    32
#define AT_STALE_CHANNELS    3 /* eUICCs offer the basic channel + 3 logical ones */
#define AT_MAX_CHANNEL       19
#define AT_MAX_APDU          261 /* short APDU: 4 header + Lc + 255 + Le */
#define AT_SYNC_ATTEMPTS     2

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
	guint32 channels;      /* bit n: logical channel n opened by us */
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

/* The command layer reports a refusal by the modem (ERROR, +CME ERROR) as
 * ESIM_APDU_ERROR_FAILED with the message 'AT+<command> answered "<result line>"';
 * each operation turns it into its own error (at_command_finish_for_task).
 * Port failures are ESIM_APDU_ERROR_TRANSPORT. */
static gboolean
error_is_modem_refusal (const GError *error)
{
	return g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED);
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
		g_task_return_new_error (task, ESIM_APDU_ERROR, refusal_code, "%s (%s)", what,
		                         error->message);
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
		g_debug ("%s: <-- %s", self->path, line);
		g_queue_pop_head (&self->commands);
		source_clear (&self->timeout_source);
		at_command_complete (cmd, ok ? NULL
		                             : g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED,
		                                            "%s answered \"%s\"", cmd->name, line));
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
			self->channels = 0; /* the modem is gone and its channels with it */
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
/* preparing the port: open, sync, probe, clear stale channels */

typedef enum {
	PREPARE_STEP_OPEN,
	PREPARE_STEP_SYNC,
	PREPARE_STEP_ECHO_OFF,
	PREPARE_STEP_PROBE_CCHO,
	PREPARE_STEP_PROBE_CGLA,
	PREPARE_STEP_PROBE_CCHC,
	PREPARE_STEP_PROBE_CSIM,
	PREPARE_STEP_CHOOSE_MODE,
	PREPARE_STEP_CLEAR_STALE,
	PREPARE_STEP_DONE,
} PrepareStep;

typedef struct {
	PrepareStep step;
	guint sync_attempts;
	gboolean has_ccho;
	gboolean has_cgla;
	gboolean has_cchc;
	gboolean has_csim;
	guint stale_channel; /* the channel being closed */
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
	case PREPARE_STEP_CLEAR_STALE:
		if (ok)
			g_info ("%s: closed logical channel %u left open by an earlier session",
			        self->path, ctx->stale_channel);
		prepare_step (task); /* the step moves on to the next channel itself */
		return;
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
	case PREPARE_STEP_CLEAR_STALE:
		/* only with +CCHC, which cannot touch the modem's own channels */
		while (self->has_cchc && self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL &&
		       ++ctx->stale_channel <= AT_STALE_CHANNELS) {
			g_autofree gchar *text = NULL;

			if (self->channels & (1u << ctx->stale_channel))
				continue; /* ours, still in use across a reopen */
			text = g_strdup_printf ("AT+CCHC=%u", ctx->stale_channel);
			at_command_async (self, text, NULL, FALSE, NULL, prepare_command_ready,
			                  g_object_ref (task));
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

typedef struct {
	gint channel;
	GBytes *command;
	const gchar *name;   /* "AT+CGLA" or "AT+CSIM" */
	const gchar *prefix; /* "+CGLA:" or "+CSIM:" */
} TransmitContext;

static void
transmit_context_free (TransmitContext *ctx)
{
	g_bytes_unref (ctx->command);
	g_free (ctx);
}

static void
transmit_command_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	TransmitContext *ctx = g_task_get_task_data (task);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *response;

	lines = at_command_finish_for_task (task, res, 1, ESIM_APDU_ERROR_TRANSPORT,
	                                    "the modem refused the APDU on channel %d",
	                                    ctx->channel);
	if (lines == NULL)
		return;
	response = esim_at_parse_apdu_answer (g_ptr_array_index (lines, 0), ctx->prefix, &error);
	if (response == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_pointer (task, response, (GDestroyNotify) g_bytes_unref);
}

static void
transmit_prepared (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	TransmitContext *ctx = g_task_get_task_data (task);
	g_autofree gchar *hex = NULL;
	g_autofree gchar *text = NULL;

	if (!ensure_ready_finish_for_task (task, res))
		return;
	hex = esim_hex_encode_bytes (ctx->command);
	if (self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL && ctx->channel > 0) {
		ctx->name = "AT+CGLA";
		ctx->prefix = "+CGLA:";
		text = g_strdup_printf ("AT+CGLA=%d,%" G_GSIZE_FORMAT ",\"%s\"", ctx->channel,
		                        strlen (hex), hex);
	} else if (self->has_csim) {
		/* the CLA carries the channel; the basic channel needs +CSIM in any mode */
		ctx->name = "AT+CSIM";
		ctx->prefix = "+CSIM:";
		text = g_strdup_printf ("AT+CSIM=%" G_GSIZE_FORMAT ",\"%s\"", strlen (hex), hex);
	} else {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		                         "the modem on %s has no AT+CSIM to reach the basic channel",
		                         self->path);
		return;
	}
	at_command_async (self, text, ctx->prefix, FALSE, g_task_get_cancellable (task),
	                  transmit_command_ready, g_object_ref (task));
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

static void
open_raw_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	g_autoptr(GError) error = NULL;
	gint channel;

	channel = esim_channel_raw_open_finish (ESIM_CHANNEL (self), res, &error);
	if (channel < 0) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	self->channels |= 1u << channel;
	g_task_return_int (task, channel);
}

static void
open_ccho_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	guint session_id = 0;

	lines = at_command_finish_for_task (task, res, 1, ESIM_APDU_ERROR_NO_CHANNEL,
	                                    "the modem refuses to open a logical channel");
	if (lines == NULL)
		return;
	if (!esim_at_parse_session_id (g_ptr_array_index (lines, 0), &session_id, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (session_id < 1 || session_id > AT_MAX_CHANNEL) {
		/* best effort: the session is of no use to us */
		if (self->has_cchc) {
			g_autofree gchar *text = g_strdup_printf ("AT+CCHC=%u", session_id);
			at_command_async (self, text, NULL, FALSE, NULL, NULL, NULL);
		}
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                         "the modem opened session %u, which is not a logical "
		                         "channel number (1-19)", session_id);
		return;
	}
	self->channels |= 1u << session_id;
	if (g_task_return_error_if_cancelled (task)) {
		/* the caller is gone but the channel is open: do not leak it */
		esim_channel_close_async (ESIM_CHANNEL (self), (gint) session_id, NULL, NULL, NULL);
		return;
	}
	g_debug ("%s: logical channel %u open", self->path, session_id);
	g_task_return_int (task, session_id);
}

static void
open_prepared (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelAt *self = ESIM_CHANNEL_AT (source);
	GBytes *aid = g_task_get_task_data (task);
	g_autofree gchar *hex = NULL;
	g_autofree gchar *text = NULL;

	if (!ensure_ready_finish_for_task (task, res))
		return;
	if (self->mode == ESIM_CHANNEL_AT_MODE_CSIM) {
		esim_channel_raw_open_async (ESIM_CHANNEL (self), aid, g_task_get_cancellable (task),
		                             open_raw_ready, g_object_ref (task));
		return;
	}
	hex = esim_hex_encode_bytes (aid);
	text = g_strdup_printf ("AT+CCHO=\"%s\"", hex);
	/* not cancellable once written: the answer carries a channel to close */
	at_command_async (self, text, "+CCHO:", TRUE, NULL, open_ccho_ready, g_object_ref (task));
}

static void
esim_channel_at_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (channel);
	g_autoptr(GTask) task = NULL;
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
	g_task_set_task_data (task, g_bytes_ref (aid), (GDestroyNotify) g_bytes_unref);
	ensure_ready_async (self, cancellable, open_prepared, g_steal_pointer (&task));
}

static gint
esim_channel_at_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), -1);
	return (gint) g_task_propagate_int (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* close */

static void
close_cchc_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(GPtrArray) lines = NULL;

	lines = at_command_finish_for_task (task, res, 0, ESIM_APDU_ERROR_FAILED,
	                                    "the modem refuses to close logical channel %d",
	                                    GPOINTER_TO_INT (g_task_get_task_data (task)));
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

/* No +CCHC and no +CSIM: MANAGE CHANNEL close sent on the channel itself. */
static void
close_cgla_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;
	guint16 sw = 0;

	response = esim_channel_transmit_finish (ESIM_CHANNEL (source), res, &error);
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
	gint channel = GPOINTER_TO_INT (g_task_get_task_data (task));

	if (!ensure_ready_finish_for_task (task, res))
		return;
	/* forgotten even if the modem refuses: a later probe then clears it */
	self->channels &= ~(1u << channel);
	/* none of these is cancellable: a channel must not leak */
	if (self->mode == ESIM_CHANNEL_AT_MODE_LOGICAL && self->has_cchc) {
		g_autofree gchar *text = g_strdup_printf ("AT+CCHC=%d", channel);
		at_command_async (self, text, NULL, FALSE, NULL, close_cchc_ready,
		                  g_object_ref (task));
	} else if (self->mode == ESIM_CHANNEL_AT_MODE_CSIM || self->has_csim) {
		esim_channel_raw_close_async (ESIM_CHANNEL (self), channel, NULL, close_raw_ready,
		                              g_object_ref (task));
	} else {
		guint8 close_cmd[] = { 0x00, 0x70, 0x80, 0x00, 0x00 };
		g_autoptr(GBytes) command = NULL;

		close_cmd[0] = esim_apdu_cla_for_channel ((guint) channel, FALSE);
		close_cmd[3] = (guint8) channel;
		command = g_bytes_new (close_cmd, sizeof (close_cmd));
		esim_channel_transmit_async (ESIM_CHANNEL (self), channel, command, NULL,
		                             close_cgla_ready, g_object_ref (task));
	}
}

static void
esim_channel_at_close_async (EsimChannel *channel, gint logical_channel,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
	EsimChannelAt *self = ESIM_CHANNEL_AT (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, esim_channel_at_close_async);
	if (logical_channel < 1 || logical_channel > AT_MAX_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "cannot close logical channel %d", logical_channel);
		return;
	}
	g_task_set_task_data (task, GINT_TO_POINTER (logical_channel), NULL);
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
