/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "pcsc" channel backend: raw APDUs to a card in a PC/SC reader.
 *
 * Every PC/SC call blocks on pcscd's socket, so each operation (transmit or
 * card reset) runs in a GTask worker thread.  Operations are queued and run
 * strictly one after the other, in the order they were asked for: pcsc-lite
 * handles must not be used from two threads at once, and APDUs on one card
 * must not overtake each other.
 *
 * The reader is connected lazily, on the first operation, in shared mode with
 * T=0 or T=1 (whatever the card and reader agree on); the request structure
 * given to SCardTransmit follows the active protocol.  Between operations the
 * owner releases the channel (esim_channel_release_async): the handle is
 * disconnected, leaving the card as it is, so that other PC/SC applications
 * (pcsc_scan, lpac, even in exclusive mode) can use the reader meanwhile.  Status words are passed
 * up unchanged: 61xx / 6Cxx handling belongs to EsimIsdr.  When the card is
 * removed, the reader unplugged or pcscd stopped, the failing operation
 * reports ESIM_APDU_ERROR_TRANSPORT and the handles are dropped, so that the
 * next operation connects afresh (card back in, pcscd restarted).  Logical
 * channels are opened and closed with the generic MANAGE CHANNEL + SELECT
 * sequence of esim-channel.c on top of transmit.
 *
 * A card that was removed, or reset (by us or by another application sharing
 * it), has forgotten its logical channels, and another PC/SC client may hold
 * their numbers by now.  So the backend notes in which card session (one
 * connection to one power-up of the card) it opened each logical channel, as
 * the MANAGE CHANNEL answers go by, and refuses with
 * ESIM_APDU_ERROR_CHANNEL_CLOSED, without sending anything, every command on
 * (or MANAGE CHANNEL close of) a channel opened in an earlier session.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>
#include <winscard.h>

#include "esim-channel-pcsc.h"
#include "esim-error.h"
#include "esim-tags.h"

/* shortest command APDU: CLA INS P1 P2 */
#define PCSC_MIN_COMMAND_LEN 4
/* logical channels 1-19 */
#define PCSC_MAX_CHANNEL          ESIM_LOGICAL_CHANNEL_MAX

struct _EsimChannelPcsc {
	GObject      parent_instance;
	gchar       *reader_name;

	/* The PC/SC state, used by one worker thread at a time (the queue
	 * below); the mutex only keeps finalize from racing a worker. */
	GMutex       mutex;
	SCARDCONTEXT context;
	gboolean     has_context;
	SCARDHANDLE  card;
	gboolean     has_card;
	DWORD        protocol;  /* SCARD_PROTOCOL_T0 or _T1 while has_card */
	/* bumped whenever the card starts afresh: connected anew, or reset */
	guint        card_session;
	/* the card_session each logical channel was opened in; 0: not open */
	guint        channel_session[PCSC_MAX_CHANNEL + 1];
	/* the protocol for get_protocol(), which must not wait for an APDU in
	 * flight: 0 = not connected, else an SCARD_PROTOCOL_* value */
	gint         published_protocol; /* atomic */

	/* Main-context side of the queue: operations waiting, and whether one
	 * is running in a worker thread. */
	GQueue       waiting;   /* GTask* (the callers' tasks), FIFO */
	gboolean     running;
};

static void esim_channel_pcsc_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimChannelPcsc, esim_channel_pcsc, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, esim_channel_pcsc_iface_init))

typedef enum {
	PCSC_OP_TRANSMIT,
	PCSC_OP_RESET,
	PCSC_OP_RELEASE,
} PcscOpKind;

typedef struct {
	PcscOpKind kind;
	gint       channel; /* PCSC_OP_TRANSMIT only: the logical channel in the CLA */
	GBytes    *command; /* PCSC_OP_TRANSMIT only */
} PcscOp;

static void
pcsc_op_free (PcscOp *op)
{
	g_clear_pointer (&op->command, g_bytes_unref);
	g_free (op);
}

/* ------------------------------------------------------------------------ */
/* errors */

/* PC/SC return codes as ESIM_APDU_ERROR with a message a user can act on.
 * @reader_name is NULL for calls that concern no particular reader. */
static GError *
pcsc_error_new (const gchar *reader_name, const gchar *call, LONG rv)
{
	const gchar *name = reader_name != NULL ? reader_name : "?";

	switch (rv) {
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the PC/SC service (pcscd) is not running");
	case SCARD_E_UNKNOWN_READER:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "PC/SC reader “%s” not found", name);
	case SCARD_E_READER_UNAVAILABLE:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "PC/SC reader “%s” is gone", name);
	case SCARD_E_NO_SMARTCARD:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "no card in PC/SC reader “%s”", name);
	case SCARD_W_REMOVED_CARD:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the card was removed from PC/SC reader “%s”", name);
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_W_UNSUPPORTED_CARD:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the card in PC/SC reader “%s” does not respond", name);
	case SCARD_E_SHARING_VIOLATION:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the card in PC/SC reader “%s” is held exclusively by another application",
		                    name);
	case SCARD_E_PROTO_MISMATCH:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the card in PC/SC reader “%s” speaks neither T=0 nor T=1",
		                    name);
	case SCARD_W_RESET_CARD:
		/* someone else sharing the card reset it: what we had open is gone */
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
		                    "the card in PC/SC reader “%s” was reset by another application; "
		                    "its logical channels are closed",
		                    name);
	case SCARD_E_NOT_TRANSACTED:
	case SCARD_F_COMM_ERROR:
	case SCARD_E_COMM_DATA_LOST:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "no answer from the card in PC/SC reader “%s” (%s: error 0x%08X)",
		                    name, call, (guint) rv);
	default:
		if (reader_name == NULL)
			return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			                    "%s failed (PC/SC error 0x%08X)", call, (guint) rv);
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "%s failed on PC/SC reader “%s” (error 0x%08X)",
		                    call, name, (guint) rv);
	}
}

/* Whether @rv means the card handle (or also the context) is no longer usable. */
static gboolean
pcsc_error_loses_card (LONG rv)
{
	switch (rv) {
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_INVALID_HANDLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_E_NOT_TRANSACTED:
	case SCARD_F_COMM_ERROR:
	case SCARD_E_COMM_DATA_LOST:
		return TRUE;
	default:
		return FALSE;
	}
}

static gboolean
pcsc_error_loses_context (LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE;
}

/* ------------------------------------------------------------------------ */
/* PC/SC state; called with the mutex held, from a worker thread or finalize */

static void
pcsc_publish_protocol (EsimChannelPcsc *self)
{
	g_atomic_int_set (&self->published_protocol, self->has_card ? (gint) self->protocol : 0);
}

static void
pcsc_drop_card (EsimChannelPcsc *self)
{
	if (!self->has_card)
		return;
	/* leave the card as it is: other applications may share it */
	SCardDisconnect (self->card, SCARD_LEAVE_CARD);
	self->has_card = FALSE;
	self->protocol = SCARD_PROTOCOL_UNDEFINED;
	pcsc_publish_protocol (self);
}

static void
pcsc_drop_context (EsimChannelPcsc *self)
{
	pcsc_drop_card (self);
	if (!self->has_context)
		return;
	SCardReleaseContext (self->context);
	self->has_context = FALSE;
}

/* Forgets what @rv says is lost, so that the next operation starts afresh. */
static void
pcsc_forget_after (EsimChannelPcsc *self, LONG rv)
{
	if (pcsc_error_loses_context (rv))
		pcsc_drop_context (self);
	else if (pcsc_error_loses_card (rv))
		pcsc_drop_card (self);
}

static gboolean
pcsc_ensure_connected (EsimChannelPcsc *self, GError **error)
{
	gboolean had_context;
	LONG rv;

	if (self->has_card)
		return TRUE;
	had_context = self->has_context;
	if (!self->has_context) {
		rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->context);
		if (rv != SCARD_S_SUCCESS) {
			g_propagate_error (error, pcsc_error_new (self->reader_name,
			                                          "SCardEstablishContext", rv));
			return FALSE;
		}
		self->has_context = TRUE;
	}
	rv = SCardConnect (self->context, self->reader_name, SCARD_SHARE_SHARED,
	                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &self->card, &self->protocol);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_forget_after (self, rv);
		/* a context kept between operations may be from a pcscd that has
		 * restarted since: once more on a new one */
		if (had_context && pcsc_error_loses_context (rv))
			return pcsc_ensure_connected (self, error);
		g_propagate_error (error, pcsc_error_new (self->reader_name, "SCardConnect", rv));
		return FALSE;
	}
	self->has_card = TRUE;
	self->card_session++;
	pcsc_publish_protocol (self);
	g_debug ("PC/SC reader “%s”: connected, protocol %s", self->reader_name,
	         self->protocol == SCARD_PROTOCOL_T1 ? "T=1" : "T=0");
	return TRUE;
}

/* ---- logical channels across card sessions ---- */

/* Whether @channel was opened by us before the card last started afresh. */
static gboolean
pcsc_channel_is_stale (EsimChannelPcsc *self, gint channel)
{
	return channel >= 1 && channel <= PCSC_MAX_CHANNEL && self->channel_session[channel] != 0 &&
	       self->channel_session[channel] != self->card_session;
}

/* MANAGE CHANNEL in the interindustry class (CLA b8 = 0) */
static gboolean
pcsc_is_manage_channel (const guint8 *data, gsize len)
{
	return len >= PCSC_MIN_COMMAND_LEN && (data[0] & ESIM_CLA_PROPRIETARY) == 0 &&
	       data[1] == ESIM_INS_MANAGE_CHANNEL;
}

/* FALSE, with ESIM_APDU_ERROR_CHANNEL_CLOSED, when @command must not reach
 * the card: it goes to, or closes, a channel the card lost. */
static gboolean
pcsc_check_channel (EsimChannelPcsc *self, gint channel, GBytes *command, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (command, &len);
	gint stale = -1;

	if (pcsc_is_manage_channel (data, len) && data[2] == ESIM_MANAGE_CHANNEL_P1_CLOSE &&
	    pcsc_channel_is_stale (self, data[3])) {
		/* closing it would close whoever holds that number now: it is closed already */
		stale = data[3];
		self->channel_session[stale] = 0;
	} else if (pcsc_channel_is_stale (self, channel)) {
		stale = channel;
	}
	if (stale < 0)
		return TRUE;
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
	             "logical channel %d was closed when the card in PC/SC reader “%s” was "
	             "removed or reset", stale, self->reader_name);
	return FALSE;
}

/* Notes the channels a successful MANAGE CHANNEL opened or closed. */
static void
pcsc_note_manage_channel (EsimChannelPcsc *self, GBytes *command, const guint8 *response,
                          gsize response_len)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (command, &len);
	gint channel = -1;

	if (!pcsc_is_manage_channel (data, len) || response_len < 2 ||
	    ((response[response_len - 2] << 8) | response[response_len - 1]) != ESIM_SW_OK)
		return;
	if (data[2] == ESIM_MANAGE_CHANNEL_P1_CLOSE) {
		if (data[3] >= 1 && data[3] <= PCSC_MAX_CHANNEL)
			self->channel_session[data[3]] = 0;
		return;
	}
	if (data[2] != ESIM_MANAGE_CHANNEL_P1_OPEN)
		return;
	/* P2 names the channel, or 00 lets the card choose and answer it */
	if (data[3] != 0x00)
		channel = data[3];
	else if (response_len == 3)
		channel = response[0];
	if (channel >= 1 && channel <= PCSC_MAX_CHANNEL)
		self->channel_session[channel] = self->card_session;
}

static GBytes *
pcsc_transmit_locked (EsimChannelPcsc *self, gint channel, GBytes *command, GError **error)
{
	const SCARD_IO_REQUEST *send_pci;
	g_autofree guint8 *response = NULL;
	const guint8 *data;
	gsize data_len = 0;
	DWORD response_len = MAX_BUFFER_SIZE_EXTENDED;
	LONG rv;

	if (!pcsc_ensure_connected (self, error))
		return NULL;
	if (!pcsc_check_channel (self, channel, command, error))
		return NULL;

	send_pci = self->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	data = g_bytes_get_data (command, &data_len);
	response = g_malloc (MAX_BUFFER_SIZE_EXTENDED);
	rv = SCardTransmit (self->card, send_pci, data, (DWORD) data_len, NULL, response,
	                    &response_len);
	if (rv == SCARD_W_RESET_CARD) {
		/* acknowledge the reset so that the handle works again */
		DWORD protocol = SCARD_PROTOCOL_UNDEFINED;

		self->card_session++;

		if (SCardReconnect (self->card, SCARD_SHARE_SHARED,
		                    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
		                    &protocol) == SCARD_S_SUCCESS) {
			self->protocol = protocol;
			pcsc_publish_protocol (self);
		} else {
			pcsc_drop_card (self);
		}
	}
	if (rv != SCARD_S_SUCCESS) {
		pcsc_forget_after (self, rv);
		g_propagate_error (error, pcsc_error_new (self->reader_name, "SCardTransmit", rv));
		return NULL;
	}
	if (response_len == 0) {
		/* some drivers (vpcd among them) report success with nothing when
		 * the card went away in the middle of the exchange */
		pcsc_drop_card (self);
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		             "no answer from the card in PC/SC reader “%s”", self->reader_name);
		return NULL;
	}
	if (response_len < 2 || response_len > MAX_BUFFER_SIZE_EXTENDED) {
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		             "the card in PC/SC reader “%s” answered %u bytes without a status word",
		             self->reader_name, (guint) response_len);
		return NULL;
	}
	g_debug ("PC/SC reader “%s”: %" G_GSIZE_FORMAT " bytes sent, %u received, SW %02X%02X",
	         self->reader_name, data_len, (guint) response_len,
	         response[response_len - 2], response[response_len - 1]);
	pcsc_note_manage_channel (self, command, response, response_len);
	return g_bytes_new (response, response_len);
}

static gboolean
pcsc_reset_locked (EsimChannelPcsc *self, GError **error)
{
	DWORD protocol = SCARD_PROTOCOL_UNDEFINED;
	LONG rv;

	if (!pcsc_ensure_connected (self, error))
		return FALSE;
	rv = SCardReconnect (self->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                     SCARD_RESET_CARD, &protocol);
	if (rv == SCARD_W_RESET_CARD) {
		/* another application reset it first; ours is then still wanted */
		rv = SCardReconnect (self->card, SCARD_SHARE_SHARED,
		                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD,
		                     &protocol);
	}
	if (rv != SCARD_S_SUCCESS) {
		pcsc_forget_after (self, rv);
		g_propagate_error (error, pcsc_error_new (self->reader_name, "SCardReconnect", rv));
		return FALSE;
	}
	self->protocol = protocol;
	self->card_session++;
	pcsc_publish_protocol (self);
	g_debug ("PC/SC reader “%s”: card reset, protocol %s", self->reader_name,
	         protocol == SCARD_PROTOCOL_T1 ? "T=1" : "T=0");
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* the operation queue */

static void pcsc_queue_run_next (EsimChannelPcsc *self);

static void
pcsc_worker (GTask *worker_task, gpointer source_object, gpointer task_data,
             GCancellable *cancellable)
{
	EsimChannelPcsc *self = ESIM_CHANNEL_PCSC (source_object);
	PcscOp *op = task_data;
	GBytes *response = NULL;
	gboolean ok = FALSE;
	GError *error = NULL;

	g_mutex_lock (&self->mutex);
	switch (op->kind) {
	case PCSC_OP_TRANSMIT:
		response = pcsc_transmit_locked (self, op->channel, op->command, &error);
		ok = response != NULL;
		break;
	case PCSC_OP_RESET:
		ok = pcsc_reset_locked (self, &error);
		break;
	case PCSC_OP_RELEASE:
	default:
		/* the context stays: establishing one costs a round trip to pcscd */
		if (self->has_card)
			g_debug ("PC/SC reader “%s”: released", self->reader_name);
		pcsc_drop_card (self);
		ok = TRUE;
		break;
	}
	g_mutex_unlock (&self->mutex);

	if (!ok)
		g_task_return_error (worker_task, error);
	else if (op->kind == PCSC_OP_TRANSMIT)
		g_task_return_pointer (worker_task, response, (GDestroyNotify) g_bytes_unref);
	else
		g_task_return_boolean (worker_task, TRUE);
}

/* Back in the main context: hands the worker's result to the caller's task
 * and starts the next operation. */
static void
pcsc_worker_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimChannelPcsc *self = ESIM_CHANNEL_PCSC (source);
	g_autoptr(GTask) task = G_TASK (user_data);
	PcscOp *op = g_task_get_task_data (task);
	GError *error = NULL;

	self->running = FALSE;
	if (op->kind == PCSC_OP_TRANSMIT) {
		GBytes *response = g_task_propagate_pointer (G_TASK (res), &error);

		if (response == NULL)
			g_task_return_error (task, error);
		else
			g_task_return_pointer (task, response, (GDestroyNotify) g_bytes_unref);
	} else {
		if (!g_task_propagate_boolean (G_TASK (res), &error))
			g_task_return_error (task, error);
		else
			g_task_return_boolean (task, TRUE);
	}
	pcsc_queue_run_next (self);
}

static void
pcsc_queue_run_next (EsimChannelPcsc *self)
{
	while (!self->running && !g_queue_is_empty (&self->waiting)) {
		g_autoptr(GTask) task = g_queue_pop_head (&self->waiting);
		g_autoptr(GTask) worker_task = NULL;

		/* a cancelled operation that has not started never reaches the card */
		if (g_task_return_error_if_cancelled (task))
			continue;

		/* the worker itself is not cancellable: an APDU in flight cannot be
		 * taken back, and its answer decides the card's state */
		worker_task = g_task_new (self, NULL, pcsc_worker_done, g_object_ref (task));
		g_task_set_source_tag (worker_task, pcsc_queue_run_next);
		g_task_set_task_data (worker_task, g_task_get_task_data (task), NULL);
		self->running = TRUE;
		g_task_run_in_thread (worker_task, pcsc_worker);
	}
}

static void
pcsc_queue_push (EsimChannelPcsc *self, PcscOp *op, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
	GTask *task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, source_tag);
	g_task_set_task_data (task, op, (GDestroyNotify) pcsc_op_free);
	g_queue_push_tail (&self->waiting, task);
	pcsc_queue_run_next (self);
}

/* ------------------------------------------------------------------------ */
/* EsimChannel */

static const gchar *
esim_channel_pcsc_get_transport (EsimChannel *channel)
{
	return "pcsc";
}

static void
esim_channel_pcsc_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
	EsimChannelPcsc *self = ESIM_CHANNEL_PCSC (channel);
	PcscOp *op;

	g_return_if_fail (command != NULL);

	/* the CLA already carries @logical_channel; it is kept to check that the
	 * card still has that channel */
	if (g_bytes_get_size (command) < PCSC_MIN_COMMAND_LEN) {
		g_task_report_new_error (self, callback, user_data,
		                         esim_channel_pcsc_transmit_async,
		                         G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "command APDU of %" G_GSIZE_FORMAT " bytes is too short",
		                         g_bytes_get_size (command));
		return;
	}
	op = g_new0 (PcscOp, 1);
	op->kind = PCSC_OP_TRANSMIT;
	op->channel = logical_channel;
	op->command = g_bytes_ref (command);
	pcsc_queue_push (self, op, cancellable, callback, user_data,
	                 esim_channel_pcsc_transmit_async);
}

static GBytes *
esim_channel_pcsc_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
esim_channel_pcsc_reset_card_async (EsimChannel *channel, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
	PcscOp *op = g_new0 (PcscOp, 1);

	op->kind = PCSC_OP_RESET;
	pcsc_queue_push (ESIM_CHANNEL_PCSC (channel), op, cancellable, callback, user_data,
	                 esim_channel_pcsc_reset_card_async);
}

static gboolean
esim_channel_pcsc_reset_card_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
esim_channel_pcsc_release_async (EsimChannel *channel, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
	PcscOp *op = g_new0 (PcscOp, 1);

	op->kind = PCSC_OP_RELEASE;
	pcsc_queue_push (ESIM_CHANNEL_PCSC (channel), op, NULL, callback, user_data,
	                 esim_channel_pcsc_release_async);
}

static void
esim_channel_pcsc_release_finish (EsimChannel *channel, GAsyncResult *res)
{
	g_return_if_fail (g_task_is_valid (res, channel));
	g_task_propagate_boolean (G_TASK (res), NULL);
}

static void
esim_channel_pcsc_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = esim_channel_pcsc_get_transport;
	/* open_async / close_async stay NULL: the generic MANAGE CHANNEL +
	 * SELECT sequence runs on top of transmit */
	iface->transmit_async = esim_channel_pcsc_transmit_async;
	iface->transmit_finish = esim_channel_pcsc_transmit_finish;
	iface->reset_card_async = esim_channel_pcsc_reset_card_async;
	iface->reset_card_finish = esim_channel_pcsc_reset_card_finish;
	iface->release_async = esim_channel_pcsc_release_async;
	iface->release_finish = esim_channel_pcsc_release_finish;
}

/* ------------------------------------------------------------------------ */

static void
esim_channel_pcsc_finalize (GObject *object)
{
	EsimChannelPcsc *self = ESIM_CHANNEL_PCSC (object);

	/* every queued task holds a reference: nothing can be waiting here */
	g_warn_if_fail (g_queue_is_empty (&self->waiting));
	g_mutex_lock (&self->mutex);
	pcsc_drop_context (self);
	g_mutex_unlock (&self->mutex);
	g_mutex_clear (&self->mutex);
	g_free (self->reader_name);
	G_OBJECT_CLASS (esim_channel_pcsc_parent_class)->finalize (object);
}

static void
esim_channel_pcsc_class_init (EsimChannelPcscClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	object_class->finalize = esim_channel_pcsc_finalize;
}

static void
esim_channel_pcsc_init (EsimChannelPcsc *self)
{
	g_mutex_init (&self->mutex);
	g_queue_init (&self->waiting);
	self->protocol = SCARD_PROTOCOL_UNDEFINED;
}

EsimChannelPcsc *
esim_channel_pcsc_new (const gchar *reader_name)
{
	EsimChannelPcsc *self;

	g_return_val_if_fail (reader_name != NULL && reader_name[0] != '\0', NULL);
	self = g_object_new (ESIM_TYPE_CHANNEL_PCSC, NULL);
	self->reader_name = g_strdup (reader_name);
	return self;
}

const gchar *
esim_channel_pcsc_get_reader_name (EsimChannelPcsc *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_PCSC (self), NULL);
	return self->reader_name;
}

const gchar *
esim_channel_pcsc_get_protocol (EsimChannelPcsc *self)
{
	gint protocol;

	g_return_val_if_fail (ESIM_IS_CHANNEL_PCSC (self), NULL);
	protocol = g_atomic_int_get (&self->published_protocol);
	if (protocol == 0)
		return NULL;
	return protocol == SCARD_PROTOCOL_T1 ? "T=1" : "T=0";
}

/* ------------------------------------------------------------------------ */
/* reader enumeration */

/* Splits a PC/SC multi-string ("a\0b\0\0") of @len bytes. */
static GStrv
pcsc_split_multi_string (const gchar *buf, gsize len)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
	gsize offset = 0;

	while (offset < len && buf[offset] != '\0') {
		const gchar *name = buf + offset;
		gsize name_len = strnlen (name, len - offset);

		g_strv_builder_add (builder, name);
		offset += name_len + 1;
	}
	return g_strv_builder_end (builder);
}

GStrv
esim_pcsc_list_readers_in_context (SCARDCONTEXT context, GError **error)
{
	LONG rv = SCARD_S_SUCCESS;

	/* readers may come and go between asking for the size and the names */
	for (guint attempt = 0; attempt < 3; attempt++) {
		g_autofree gchar *buf = NULL;
		DWORD len = 0;

		rv = SCardListReaders (context, NULL, NULL, &len);
		if (rv == SCARD_E_NO_READERS_AVAILABLE)
			return g_new0 (gchar *, 1);
		if (rv != SCARD_S_SUCCESS)
			break;
		buf = g_malloc0 ((gsize) len + 1);
		rv = SCardListReaders (context, NULL, buf, &len);
		if (rv == SCARD_E_INSUFFICIENT_BUFFER)
			continue;
		if (rv == SCARD_E_NO_READERS_AVAILABLE)
			return g_new0 (gchar *, 1);
		if (rv != SCARD_S_SUCCESS)
			break;
		return pcsc_split_multi_string (buf, len);
	}
	g_propagate_error (error, pcsc_error_new (NULL, "SCardListReaders", rv));
	return NULL;
}

GStrv
esim_pcsc_list_readers (GError **error)
{
	SCARDCONTEXT context;
	GStrv readers;
	LONG rv;

	rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
	if (rv != SCARD_S_SUCCESS) {
		g_propagate_error (error, pcsc_error_new (NULL, "SCardEstablishContext", rv));
		return NULL;
	}
	readers = esim_pcsc_list_readers_in_context (context, error);
	SCardReleaseContext (context);
	return readers;
}
