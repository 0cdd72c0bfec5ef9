/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMI channel backend.
 *
 * Device setup runs on the first operation, as a step machine: new QmiDevice
 * → open (through qmi-proxy, or exclusively with CTL Sync; AUTO mode except
 * on ttys, whose driver libqmi cannot detect, which carry plain QMUX) →
 * allocate a UIM client → UIM Reset → slot selection → ready.  Operations
 * arriving meanwhile wait for it.
 *
 * Slot selection.  UIM commands address *logical* slots; Get Slot Status maps
 * the physical slots onto them.  When the eUICC's physical slot is active (the
 * primary slot of a single-standby modem, or any slot of a dual-active one)
 * its logical slot is used directly.  An inactive physical slot has no logical
 * slot and cannot be reached without Switch Slot, so logical slot 1 is
 * switched to it (as lpac does) and Get Slot Status polled until the card is
 * present.  The previous slot is not restored: ModemManager follows the
 * switch through its slot-status indications.  A slot the modem does not have,
 * or an empty one, is an error naming it.
 *
 * Stale logical channels.  A channel left open by a crashed user eats one of
 * the card's few channels (often 3).  Three layers clear them:
 *   - exclusive opens send CTL Sync, which releases every client id and with
 *     them the channels they held (qmi-proxy does the same for clients that
 *     disconnect, so proxied opens need nothing there);
 *   - UIM Reset after allocating our client resets what the modem keeps for
 *     this control point (Hermes does this before opening channels);
 *   - when Open Logical Channel still finds the card full (InsufficientResources
 *     or SW 6A81/6881), channels 1–19 that are not ours are closed (lpac's
 *     sweep) and the open is retried once.  Last resort only: sweeping at
 *     every start could close a channel a live user (or the modem's own ISIM
 *     session) is using.
 *
 * No indications are used (the port is not opened with EXPECT_INDICATIONS):
 * the slot switch is polled, card resets show up as refused requests.
 *
 * Card reset (reset_card) is UIM Power Off SIM + Power On SIM on our logical
 * slot.  UIM Reset is not used for it: despite its name it resets the service
 * state of the control point, not the card.
 *
 * libqmi 1.32 has no client API for Open Logical Channel (0x0042), Send APDU
 * (0x003B) and Logical Channel (0x003F): esim-qmi-uim.c builds and parses
 * them with the QmiMessage TLV API, which every libqmi has.  libqmi 1.36
 * generates client calls for them; meson detects that
 * (WITH_QMI_UIM_LOGICAL_CHANNEL_API) and those calls are used instead, so a
 * newer libqmi does the message handling (and its traces decode them).
 *
 * Every QMI request runs with a cancellable linked to the caller's and to the
 * device's "generation": when the port disappears (QmiDevice
 * "device-removed") the generation is cancelled, so requests in flight fail
 * at once with a TRANSPORT error instead of waiting for their timeout.
 *
 * A lost client.  The modem forgets client ids when its firmware or QMI
 * service restarts and when another program sends CTL Sync on the port; it
 * then refuses every request of the old id with QMI InvalidClientId, before
 * the request reaches the card.  So a request refused that way fails with
 * ESIM_APDU_ERROR_SESSION_LOST, the channels the client held are forgotten,
 * and the next open allocates a new client on the same QmiDevice (EsimIsdr
 * then reopens the ISD-R and sends its request again).  The dead client is
 * dropped from the QmiDevice without Release CID: the modem may have given
 * its id to another program since.  Over a direct port the modem's CTL Sync
 * indication (its QMI service restarted) says the same before any request is
 * refused; libqmi 1.32 hands it to us through QmiDevice::indication, which it
 * emits for every indication, CTL ones included (its own CTL client only logs
 * "Sync indication received").  qmi-proxy forwards no CTL indication, so
 * through the proxy the refusal is the only sign.  A port that hangs up
 * (QmiDevice "device-removed": the port went away, or the qmi-proxy we talk
 * through died) loses its channels the same way: a later transmit on one of
 * them fails with SESSION_LOST without being sent, and the next open starts
 * over with a new QmiDevice (which respawns the proxy) — or fails if the port
 * is really gone.  A request in flight when the port hangs up may have reached
 * the card: it fails with TRANSPORT, never SESSION_LOST.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>
#include <libqmi-glib.h>

#include "esim-apdu.h"
#include "esim-channel-qmi.h"
#include "esim-error.h"
#include "esim-qmi-uim.h"
#include "esim-tags.h"

#if defined(WITH_QMI_UIM_LOGICAL_CHANNEL_API) && QMI_CHECK_VERSION(1, 36, 0)
#define ESIM_QMI_GENERATED_UIM_CHANNEL_API 1
#endif
#include "esim-util.h"

#define MAX_CHANNEL              ESIM_LOGICAL_CHANNEL_MAX
#define SLOT_POLL_INTERVAL_MS    500
#define SLOT_POLL_ATTEMPTS       20
#define APDU_MAX_LEN             261 /* short APDU: 4 + 1 + 255 + 1 */
#define QMI_CTL_MESSAGE_SYNC     0x0027 /* libqmi data/qmi-service-ctl.json */

struct _EsimChannelQmi {
	GObject              parent_instance;
	gchar               *device_path;
	guint                slot;          /* physical, 1-based; 0 = the active one */
	EsimChannelQmiFlags  flags;
	guint                timeout;       /* seconds per request */

	QmiDevice           *device;
	QmiClient           *client;        /* UIM */
	gulong               removed_id;
	gulong               indication_id;
	guint                session;       /* counts the clients allocated; requests note it */
	guint8               logical_slot;  /* the "slot" TLV; 0 until set up */
	gboolean             ready;
	gboolean             setup_running;
	GList               *setup_waiters; /* GTask */
	GCancellable        *generation;    /* cancelled when the port goes away */
	guint32              open_channels; /* bit n: channel n opened by us */
	guint32              lost_channels; /* bit n: channel n went with a lost client or port */
	gchar               *lost_reason;   /* why they went */
	gboolean             device_gone;   /* @device was removed under us */
	gchar               *gone_reason;   /* why the last device went away */
	GObject             *open_token;    /* held until the port is closed for good */
};

static void esim_channel_qmi_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimChannelQmi, esim_channel_qmi, G_TYPE_OBJECT,
			 G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, esim_channel_qmi_iface_init))

/* ------------------------------------------------------------------------ */
/* Linked cancellables: one per request, cancelled by the caller or by the
 * device going away. */

typedef struct {
	GCancellable *cancellable;
	GCancellable *generation;
	gulong        generation_id;
	GCancellable *caller;
	gulong        caller_id;
} LinkedCancellable;

static void
linked_cancel_cb (GCancellable *source, gpointer user_data)
{
	g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static LinkedCancellable *
linked_cancellable_new (GCancellable *generation, GCancellable *caller)
{
	LinkedCancellable *lc = g_new0 (LinkedCancellable, 1);

	lc->cancellable = g_cancellable_new ();
	if (generation != NULL) {
		lc->generation = g_object_ref (generation);
		lc->generation_id = g_cancellable_connect (generation, G_CALLBACK (linked_cancel_cb),
							   lc->cancellable, NULL);
	}
	if (caller != NULL) {
		lc->caller = g_object_ref (caller);
		lc->caller_id = g_cancellable_connect (caller, G_CALLBACK (linked_cancel_cb),
						       lc->cancellable, NULL);
	}
	return lc;
}

static void
linked_cancellable_free (LinkedCancellable *lc)
{
	if (lc == NULL)
		return;
	if (lc->generation != NULL) {
		g_cancellable_disconnect (lc->generation, lc->generation_id);
		g_object_unref (lc->generation);
	}
	if (lc->caller != NULL) {
		g_cancellable_disconnect (lc->caller, lc->caller_id);
		g_object_unref (lc->caller);
	}
	g_object_unref (lc->cancellable);
	g_free (lc);
}

/* Turns a libqmi failure of request @what into our domains.  QMI protocol
 * errors (the modem answered "no") are kept for the caller to interpret. */
static GError *
qmi_map_error (GError *error, LinkedCancellable *lc, const gchar *what, const gchar *gone_reason)
{
	g_autoptr(GError) owned = error;

	if (lc != NULL && lc->caller != NULL && g_cancellable_is_cancelled (lc->caller))
		return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
	if (lc != NULL && lc->generation != NULL && g_cancellable_is_cancelled (lc->generation))
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT, "%s: %s", what,
				    gone_reason != NULL ? gone_reason : "the modem port went away");
	if (g_error_matches (owned, QMI_CORE_ERROR, QMI_CORE_ERROR_TIMEOUT))
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
				    "%s: the modem did not answer (timed out)", what);
	if (owned->domain == QMI_PROTOCOL_ERROR)
		return g_steal_pointer (&owned);
	if (g_error_matches (owned, QMI_CORE_ERROR, QMI_CORE_ERROR_TLV_NOT_FOUND) ||
	    g_error_matches (owned, QMI_CORE_ERROR, QMI_CORE_ERROR_INVALID_MESSAGE) ||
	    g_error_matches (owned, QMI_CORE_ERROR, QMI_CORE_ERROR_TLV_TOO_LONG) ||
	    g_error_matches (owned, QMI_CORE_ERROR, QMI_CORE_ERROR_TLV_EMPTY))
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
				    "%s: malformed answer from the modem: %s", what, owned->message);
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT, "%s: %s", what,
			    owned->message);
}

static const gchar *
qmi_protocol_error_name (const GError *error)
{
	const gchar *name = qmi_protocol_error_get_string (error->code);
	return name != NULL ? name : "unknown error";
}

/* The modem no longer knows the client id of the request: refused before
 * the request reached the card. */
static gboolean
qmi_error_is_client_gone (const GError *error)
{
	return g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID);
}

static GError *
session_lost_error (EsimChannelQmi *self, const gchar *what)
{
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST,
			    "%s: the modem at %s no longer knows esimd's UIM client "
			    "(QMI InvalidClientId); the command did not reach the card", what,
			    self->device_path);
}

/* A refusal by the modem (QMI_PROTOCOL_ERROR in @error, taken) becomes a
 * TRANSPORT error "<what> failed on the modem at <port> (QMI <name>)", or
 * SESSION_LOST for a client the modem forgot; other errors are in our
 * domains already and pass unchanged. */
G_GNUC_PRINTF (3, 4) static GError *
qmi_refusal_error (EsimChannelQmi *self, GError *error, const gchar *format, ...)
{
	g_autoptr(GError) owned = error;
	g_autofree gchar *what = NULL;
	va_list args;

	if (owned->domain != QMI_PROTOCOL_ERROR)
		return g_steal_pointer (&owned);
	va_start (args, format);
	what = g_strdup_vprintf (format, args);
	va_end (args);
	if (qmi_error_is_client_gone (owned))
		return session_lost_error (self, what);
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			    "%s failed on the modem at %s (QMI %s)", what, self->device_path,
			    qmi_protocol_error_name (owned));
}

/* The modem forgot our UIM client @session (the value of self->session when
 * the failed request was sent): every channel went with it.  The client is
 * dropped from the QmiDevice without Release CID — the modem no longer knows
 * the id and may have given it to another program since — and the next open
 * allocates a new one on the same device.  Nothing happens when @session is
 * an older client than the current one, or when there is none. */
static void
session_lost (EsimChannelQmi *self, guint session, const gchar *why)
{
	if (session != self->session || self->client == NULL)
		return;
	g_message ("QMI: the modem at %s no longer knows esimd's UIM client %u (%s); "
		   "a new client is allocated at the next open", self->device_path,
		   qmi_client_get_cid (self->client), why);
	qmi_device_release_client (self->device, self->client, QMI_DEVICE_RELEASE_CLIENT_FLAGS_NONE,
				   1, NULL, NULL, NULL);
	g_clear_object (&self->client);
	self->lost_channels |= self->open_channels;
	self->open_channels = 0;
	g_free (self->lost_reason);
	self->lost_reason = g_strdup_printf ("the modem forgot esimd's UIM client: %s", why);
	self->ready = FALSE;
}

/* ------------------------------------------------------------------------ */
/* UIM logical-channel requests: two implementations with the same results,
 * the generated client calls of libqmi >= 1.36 or the TLV messages of
 * esim-qmi-uim.c (see the top of the file).  Either way a refusal by the modem
 * comes back as a QMI_PROTOCOL_ERROR for the caller to interpret. */

typedef struct {
	LinkedCancellable *lc;
	const gchar       *what;
#ifdef ESIM_QMI_GENERATED_UIM_CHANNEL_API
	EsimQmiUimOpenResult open; /* kept also when the open fails */
#endif
} UimRequest;

static void
uim_request_free (UimRequest *req)
{
	linked_cancellable_free (req->lc);
	g_free (req);
}

static void
uim_request_return_error (GTask *task, GError *error)
{
	UimRequest *req = g_task_get_task_data (task);
	EsimChannelQmi *self = g_task_get_source_object (task);

	g_task_return_error (task, qmi_map_error (error, req->lc, req->what, self->gone_reason));
}

static GTask *
uim_request_task_new (EsimChannelQmi *self, const gchar *what, GCancellable *cancellable,
		      GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new (self, cancellable, callback, user_data);
	UimRequest *req = g_new0 (UimRequest, 1);

	req->lc = linked_cancellable_new (self->generation, cancellable);
	req->what = what;
	g_task_set_task_data (task, req, (GDestroyNotify) uim_request_free);
	return task;
}

#ifdef ESIM_QMI_GENERATED_UIM_CHANNEL_API

#define AID_MAX_LEN 16 /* as esim-qmi-uim.c checks it */

static GArray *
bytes_to_array (GBytes *bytes)
{
	gsize len;
	const guint8 *data = g_bytes_get_data (bytes, &len);
	GArray *array = g_array_sized_new (FALSE, FALSE, sizeof (guint8), len);

	g_array_append_vals (array, data, len);
	return array;
}

static void
uim_open_channel_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	UimRequest *req = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimOpenLogicalChannelOutput) output = NULL;
	GError *error = NULL;
	guint8 sw1, sw2;

	output = qmi_client_uim_open_logical_channel_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output == NULL) {
		uim_request_return_error (task, error);
		return;
	}
	/* read before the result: a refused SELECT still says why */
	if (qmi_message_uim_open_logical_channel_output_get_card_result (output, &sw1, &sw2,
									  NULL)) {
		req->open.has_sw = TRUE;
		req->open.sw = (sw1 << 8) | sw2;
	}
	if (!qmi_message_uim_open_logical_channel_output_get_result (output, &error) ||
	    !qmi_message_uim_open_logical_channel_output_get_channel_id (output, &req->open.channel,
									  &error)) {
		uim_request_return_error (task, error);
		return;
	}
	g_task_return_boolean (task, TRUE);
}

static void
uim_open_channel (EsimChannelQmi *self, GBytes *aid, GCancellable *cancellable,
		  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = uim_request_task_new (self, "UIM Open Logical Channel", cancellable,
						      callback, user_data);
	UimRequest *req = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimOpenLogicalChannelInput) input = NULL;
	g_autoptr(GArray) aid_array = NULL;
	gsize aid_len = g_bytes_get_size (aid);

	if (aid_len < 1 || aid_len > AID_MAX_LEN) {
		GError *error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					     "AID of %" G_GSIZE_FORMAT " bytes (must be 1 to %d)",
					     aid_len, AID_MAX_LEN);
		uim_request_return_error (task, error);
		return;
	}
	aid_array = bytes_to_array (aid);
	input = qmi_message_uim_open_logical_channel_input_new ();
	qmi_message_uim_open_logical_channel_input_set_slot (input, self->logical_slot, NULL);
	qmi_message_uim_open_logical_channel_input_set_aid (input, aid_array, NULL);
	qmi_client_uim_open_logical_channel (QMI_CLIENT_UIM (self->client), input, self->timeout,
					     req->lc->cancellable, uim_open_channel_ready,
					     g_steal_pointer (&task));
}

/* @result is filled as far as the answer goes, also on failure. */
static gboolean
uim_open_channel_finish (EsimChannelQmi *self, GAsyncResult *res, EsimQmiUimOpenResult *result,
			 GError **error)
{
	UimRequest *req = g_task_get_task_data (G_TASK (res));

	*result = req->open;
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
uim_send_apdu_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(QmiMessageUimSendApduOutput) output = NULL;
	GError *error = NULL;
	GArray *apdu = NULL; /* owned by @output */

	output = qmi_client_uim_send_apdu_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output == NULL || !qmi_message_uim_send_apdu_output_get_result (output, &error) ||
	    !qmi_message_uim_send_apdu_output_get_apdu_response (output, &apdu, &error)) {
		uim_request_return_error (task, error);
		return;
	}
	/* data + SW1 SW2, as the TLV parser demands */
	if (apdu->len < 2) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
					 "UIM Send APDU answer is a %u-byte response APDU",
					 apdu->len);
		return;
	}
	g_task_return_pointer (task, g_bytes_new (apdu->data, apdu->len),
			       (GDestroyNotify) g_bytes_unref);
}

static void
uim_send_apdu (EsimChannelQmi *self, guint8 channel, GBytes *command, GCancellable *cancellable,
	       GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = uim_request_task_new (self, "UIM Send APDU", cancellable, callback,
						      user_data);
	UimRequest *req = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimSendApduInput) input = qmi_message_uim_send_apdu_input_new ();
	g_autoptr(GArray) apdu = bytes_to_array (command);

	qmi_message_uim_send_apdu_input_set_slot (input, self->logical_slot, NULL);
	qmi_message_uim_send_apdu_input_set_apdu (input, apdu, NULL);
	/* without a channel the modem uses the basic channel */
	if (channel != 0)
		qmi_message_uim_send_apdu_input_set_channel_id (input, channel, NULL);
	qmi_client_uim_send_apdu (QMI_CLIENT_UIM (self->client), input, self->timeout,
				  req->lc->cancellable, uim_send_apdu_ready,
				  g_steal_pointer (&task));
}

static GBytes *
uim_send_apdu_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
uim_close_channel_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(QmiMessageUimLogicalChannelOutput) output = NULL;
	GError *error = NULL;

	output = qmi_client_uim_logical_channel_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output == NULL || !qmi_message_uim_logical_channel_output_get_result (output, &error)) {
		uim_request_return_error (task, error);
		return;
	}
	g_task_return_boolean (task, TRUE);
}

static void
uim_close_channel (EsimChannelQmi *self, guint8 channel, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = uim_request_task_new (self, "UIM Logical Channel close",
						      cancellable, callback, user_data);
	UimRequest *req = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimLogicalChannelInput) input = NULL;

	input = qmi_message_uim_logical_channel_input_new ();

	/* the Channel ID TLV (0x11) alone makes it the close form */
	qmi_message_uim_logical_channel_input_set_slot (input, self->logical_slot, NULL);
	qmi_message_uim_logical_channel_input_set_channel_id (input, channel, NULL);
	qmi_client_uim_logical_channel (QMI_CLIENT_UIM (self->client), input, self->timeout,
					req->lc->cancellable, uim_close_channel_ready,
					g_steal_pointer (&task));
}

static gboolean
uim_close_channel_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean (G_TASK (res), error);
}

#else /* !ESIM_QMI_GENERATED_UIM_CHANNEL_API: the TLV messages of esim-qmi-uim.c */

static void
uim_request_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	GError *error = NULL;
	QmiMessage *response = qmi_device_command_full_finish (QMI_DEVICE (source), res, &error);

	if (response == NULL) {
		uim_request_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, response, (GDestroyNotify) qmi_message_unref);
}

/* Sends request @what, @msg; a message that could not be built (NULL) fails
 * with @error (taken).  The result is the modem's answer, a QmiMessage. */
static void
uim_request (EsimChannelQmi *self, const gchar *what, QmiMessage *msg, GError *error,
	     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = uim_request_task_new (self, what, cancellable, callback, user_data);
	UimRequest *req = g_task_get_task_data (task);

	if (msg == NULL) {
		uim_request_return_error (task, error);
		return;
	}
	qmi_device_command_full (self->device, msg, NULL, self->timeout, req->lc->cancellable,
				 uim_request_ready, g_steal_pointer (&task));
}

static void
uim_open_channel (EsimChannelQmi *self, GBytes *aid, GCancellable *cancellable,
		  GAsyncReadyCallback callback, gpointer user_data)
{
	GError *error = NULL;
	g_autoptr(QmiMessage) msg = esim_qmi_uim_open_channel_new (
		qmi_client_get_cid (self->client), qmi_client_get_next_transaction_id (self->client),
		self->logical_slot, aid, &error);

	uim_request (self, "UIM Open Logical Channel", msg, error, cancellable, callback,
		     user_data);
}

/* @result is filled as far as the answer goes, also on failure. */
static gboolean
uim_open_channel_finish (EsimChannelQmi *self, GAsyncResult *res, EsimQmiUimOpenResult *result,
			 GError **error)
{
	g_autoptr(QmiMessage) response = g_task_propagate_pointer (G_TASK (res), error);

	memset (result, 0, sizeof (*result));
	return response != NULL && esim_qmi_uim_open_channel_parse (response, result, error);
}

static void
uim_send_apdu (EsimChannelQmi *self, guint8 channel, GBytes *command, GCancellable *cancellable,
	       GAsyncReadyCallback callback, gpointer user_data)
{
	GError *error = NULL;
	g_autoptr(QmiMessage) msg = esim_qmi_uim_send_apdu_new (
		qmi_client_get_cid (self->client), qmi_client_get_next_transaction_id (self->client),
		self->logical_slot, channel, command, &error);

	uim_request (self, "UIM Send APDU", msg, error, cancellable, callback, user_data);
}

static GBytes *
uim_send_apdu_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	g_autoptr(QmiMessage) response = g_task_propagate_pointer (G_TASK (res), error);

	if (response == NULL)
		return NULL;
	return esim_qmi_uim_send_apdu_parse (response, error);
}

static void
uim_close_channel (EsimChannelQmi *self, guint8 channel, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	GError *error = NULL;
	g_autoptr(QmiMessage) msg = esim_qmi_uim_close_channel_new (
		qmi_client_get_cid (self->client), qmi_client_get_next_transaction_id (self->client),
		self->logical_slot, channel, &error);

	uim_request (self, "UIM Logical Channel close", msg, error, cancellable, callback,
		     user_data);
}

static gboolean
uim_close_channel_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	g_autoptr(QmiMessage) response = g_task_propagate_pointer (G_TASK (res), error);

	return response != NULL && esim_qmi_uim_close_channel_parse (response, error);
}

#endif /* ESIM_QMI_GENERATED_UIM_CHANNEL_API */

/* ------------------------------------------------------------------------ */
/* Teardown: close our channels, release the client, close the device.  Runs
 * on references it owns, so dispose can start it and walk away. */

typedef enum {
	TEARDOWN_STEP_CHANNELS,
	TEARDOWN_STEP_RELEASE_CLIENT,
	TEARDOWN_STEP_CLOSE_DEVICE,
	TEARDOWN_STEP_DONE,
} TeardownStep;

typedef struct {
	TeardownStep step;
	QmiDevice   *device;
	QmiClient   *client;
	guint8       logical_slot;
	guint32      channels;
	guint        timeout;
	gboolean     gone;      /* the port vanished: nothing to say to it */
	GObject     *open_token; /* see esim_channel_qmi_hold_while_open() */
} Teardown;

static void
teardown_free (Teardown *td)
{
	g_clear_object (&td->client);
	g_clear_object (&td->device);
	g_clear_object (&td->open_token);
	g_free (td);
}

static void teardown_step (GTask *task);

/* Every teardown request ends here: a failure is only logged, then the next
 * step runs (channels are closed one at a time in the first step). */
static void
teardown_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	Teardown *td = g_task_get_task_data (task);
	g_autoptr(QmiMessage) response = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *what = NULL;

	switch (td->step) {
	case TEARDOWN_STEP_CHANNELS:
		response = qmi_device_command_full_finish (QMI_DEVICE (source), res, &error);
		if (response == NULL || !esim_qmi_uim_close_channel_parse (response, &error))
			what = "closing a logical channel";
		break;
	case TEARDOWN_STEP_RELEASE_CLIENT:
		if (!qmi_device_release_client_finish (QMI_DEVICE (source), res, &error))
			what = "releasing the UIM client";
		td->step++;
		break;
	case TEARDOWN_STEP_CLOSE_DEVICE:
		if (!qmi_device_close_finish (QMI_DEVICE (source), res, &error))
			what = "closing the device";
		td->step++;
		break;
	case TEARDOWN_STEP_DONE:
	default:
		break;
	}
	if (what != NULL)
		g_debug ("QMI: %s at teardown failed: %s", what, error->message);
	teardown_step (task);
}

/* Closes the next channel still open; FALSE when there is none (or no one to ask). */
static gboolean
teardown_close_next_channel (GTask *task)
{
	Teardown *td = g_task_get_task_data (task);
	g_autoptr(QmiMessage) msg = NULL;
	guint channel;

	if (td->channels == 0 || td->gone || td->client == NULL)
		return FALSE;
	for (channel = 1; channel <= MAX_CHANNEL; channel++) {
		if (td->channels & (1u << channel))
			break;
	}
	td->channels &= ~(1u << channel);
	msg = esim_qmi_uim_close_channel_new (qmi_client_get_cid (td->client),
					      qmi_client_get_next_transaction_id (td->client),
					      td->logical_slot, channel, NULL);
	if (msg == NULL)
		return FALSE;
	g_debug ("QMI: closing logical channel %u at teardown", channel);
	qmi_device_command_full (td->device, msg, NULL, td->timeout, NULL, teardown_ready,
				 g_object_ref (task));
	return TRUE;
}

static void
teardown_step (GTask *task)
{
	Teardown *td = g_task_get_task_data (task);

	switch (td->step) {
	case TEARDOWN_STEP_CHANNELS:
		if (teardown_close_next_channel (task))
			return;
		td->step = TEARDOWN_STEP_RELEASE_CLIENT;
		teardown_step (task);
		return;
	case TEARDOWN_STEP_RELEASE_CLIENT:
		if (td->client == NULL || td->gone) {
			td->step = TEARDOWN_STEP_CLOSE_DEVICE;
			teardown_step (task);
			return;
		}
		qmi_device_release_client (td->device, td->client,
					   QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, td->timeout,
					   NULL, teardown_ready, g_object_ref (task));
		return;
	case TEARDOWN_STEP_CLOSE_DEVICE:
		if (td->device == NULL || !qmi_device_is_open (td->device)) {
			td->step = TEARDOWN_STEP_DONE;
			teardown_step (task);
			return;
		}
		qmi_device_close_async (td->device, td->timeout, NULL, teardown_ready,
					g_object_ref (task));
		return;
	case TEARDOWN_STEP_DONE:
	default:
		g_task_return_boolean (task, TRUE);
		return;
	}
}

/* Moves the device state of @self into a teardown and resets @self. */
static void
esim_channel_qmi_teardown (EsimChannelQmi *self, gboolean gone, GAsyncReadyCallback callback,
			   gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	Teardown *td = g_new0 (Teardown, 1);

	td->device = g_steal_pointer (&self->device);
	td->client = g_steal_pointer (&self->client);
	td->logical_slot = self->logical_slot;
	td->channels = self->open_channels;
	td->timeout = MIN (self->timeout, 5);
	td->gone = gone;
	if (td->device != NULL && self->open_token != NULL)
		td->open_token = g_object_ref (self->open_token);
	if (td->device != NULL && self->removed_id != 0)
		g_signal_handler_disconnect (td->device, self->removed_id);
	if (td->device != NULL && self->indication_id != 0)
		g_signal_handler_disconnect (td->device, self->indication_id);
	self->removed_id = 0;
	self->indication_id = 0;
	self->open_channels = 0;
	self->logical_slot = 0;
	self->ready = FALSE;

	/* no source object: dispose runs it on a dying instance */
	task = g_task_new (NULL, NULL, callback, user_data);
	g_task_set_source_tag (task, esim_channel_qmi_teardown);
	g_task_set_task_data (task, td, (GDestroyNotify) teardown_free);
	teardown_step (task);
}

/* Fails every request in flight with @reason (taken). */
static void
abort_requests (EsimChannelQmi *self, gchar *reason)
{
	g_free (self->gone_reason);
	self->gone_reason = reason;
	g_cancellable_cancel (self->generation);
	g_clear_object (&self->generation);
	self->generation = g_cancellable_new ();
}

static gboolean
device_removed_idle_cb (gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (user_data);

	if (self->device != NULL && !self->ready && !self->setup_running)
		esim_channel_qmi_teardown (self, TRUE, NULL, NULL);
	return G_SOURCE_REMOVE;
}

static void
device_removed_cb (QmiDevice *device, gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (user_data);
	g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
	g_autoptr(GSource) idle = NULL;
	g_autofree gchar *reason = NULL;

	/* through the proxy, the port or the proxy itself (restarted, crashed) */
	if (self->flags & ESIM_CHANNEL_QMI_FLAGS_PROXY)
		reason = g_strdup_printf ("the connection through qmi-proxy to %s went away",
					  self->device_path);
	else
		reason = g_strdup_printf ("the modem port %s went away", self->device_path);
	g_warning ("QMI: %s", reason);
	self->device_gone = TRUE;
	self->ready = FALSE;
	/* not sent yet, a command on these fails as lost with the session */
	self->lost_channels |= self->open_channels;
	self->open_channels = 0;
	g_free (self->lost_reason);
	self->lost_reason = g_strdup (reason);
	/* fail everything in flight now rather than at its timeout */
	abort_requests (self, g_steal_pointer (&reason));
	/* not from inside the device's own signal emission */
	idle = g_idle_source_new ();
	g_source_set_callback (idle, device_removed_idle_cb, g_object_ref (self), g_object_unref);
	g_source_attach (idle, context);
}

/* Over a direct port, the modem's CTL Sync indication says that its QMI
 * service restarted and forgot every client.  Only a client that is set up
 * is dropped: during setup the refusals of the next steps say it. */
static void
device_indication_cb (QmiDevice *device, GByteArray *message, gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (user_data);
	QmiMessage *msg = (QmiMessage *) message;

	if (qmi_message_get_service (msg) != QMI_SERVICE_CTL ||
	    qmi_message_get_message_id (msg) != QMI_CTL_MESSAGE_SYNC)
		return;
	if (!self->ready) {
		g_debug ("QMI: CTL Sync indication from %s while setting up", self->device_path);
		return;
	}
	session_lost (self, self->session, "CTL Sync indication: its QMI service restarted");
}

/* ------------------------------------------------------------------------ */
/* Device setup */

typedef enum {
	SETUP_STEP_DEVICE_NEW,
	SETUP_STEP_DEVICE_OPEN,
	SETUP_STEP_ALLOCATE_CLIENT,
	SETUP_STEP_RESET_CLIENT_STATE,
	SETUP_STEP_SLOT_STATUS,
	SETUP_STEP_SWITCH_SLOT,
	SETUP_STEP_DONE,
} SetupStep;

typedef struct {
	SetupStep          step;
	LinkedCancellable *lc;
	guint              polls;
	gboolean           switched;
} SetupCtx;

static void
setup_ctx_free (SetupCtx *ctx)
{
	linked_cancellable_free (ctx->lc);
	g_free (ctx);
}

static void setup_step (GTask *task);

static void
setup_fail (GTask *task, GError *error)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	g_autofree gchar *what = NULL;

	/* dropped here, or the teardown would release an id the modem may have reused */
	if (qmi_error_is_client_gone (error) ||
	    g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST))
		session_lost (self, self->session, "refused while setting up the port");
	if (error->domain == ESIM_APDU_ERROR || error->domain == QMI_PROTOCOL_ERROR) {
		g_task_return_error (task, qmi_refusal_error (self, error, "setting up the port"));
		return;
	}
	what = g_strdup_printf ("cannot set up QMI port %s", self->device_path);
	g_task_return_error (task, qmi_map_error (error, ctx->lc, what, self->gone_reason));
}

static void
setup_device_new_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	self->device = qmi_device_new_finish (res, &error);
	self->device_gone = FALSE;
	if (self->device == NULL) {
		setup_fail (task, error);
		return;
	}
	self->removed_id = g_signal_connect (self->device, QMI_DEVICE_SIGNAL_REMOVED,
					     G_CALLBACK (device_removed_cb), self);
	self->indication_id = g_signal_connect (self->device, QMI_DEVICE_SIGNAL_INDICATION,
						G_CALLBACK (device_indication_cb), self);
	ctx->step = SETUP_STEP_DEVICE_OPEN;
	setup_step (task);
}

static void
setup_device_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	SetupCtx *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!qmi_device_open_finish (QMI_DEVICE (source), res, &error)) {
		setup_fail (task, error);
		return;
	}
	ctx->step = SETUP_STEP_ALLOCATE_CLIENT;
	setup_step (task);
}

static void
setup_client_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	self->client = qmi_device_allocate_client_finish (QMI_DEVICE (source), res, &error);
	if (self->client == NULL) {
		setup_fail (task, error);
		return;
	}
	self->session++;
	ctx->step = SETUP_STEP_RESET_CLIENT_STATE;
	setup_step (task);
}

static void
setup_reset_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	SetupCtx *ctx = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimResetOutput) output = NULL;
	g_autoptr(GError) error = NULL;

	output = qmi_client_uim_reset_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output != NULL)
		qmi_message_uim_reset_output_get_result (output, &error);
	if (error != NULL) {
		if (g_cancellable_is_cancelled (ctx->lc->cancellable)) {
			setup_fail (task, g_steal_pointer (&error));
			return;
		}
		/* an optimisation against stale state, not a requirement */
		g_debug ("QMI: UIM Reset failed (ignored): %s", error->message);
	}
	ctx->step = SETUP_STEP_SLOT_STATUS;
	setup_step (task);
}

/* Get Slot Status failed: old firmware without it can still reach slot 1. */
static void
setup_slot_status_failed (GTask *task, GError *error)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	GError *mapped;

	if ((g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND) ||
	     g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_NOT_SUPPORTED)) &&
	    self->slot == 1 && !ctx->switched) {
		g_debug ("QMI: no UIM Get Slot Status; using logical slot 1");
		g_error_free (error);
		self->logical_slot = 1;
		ctx->step = SETUP_STEP_DONE;
		setup_step (task);
		return;
	}
	if (error->domain != QMI_PROTOCOL_ERROR || qmi_error_is_client_gone (error)) {
		setup_fail (task, error);
		return;
	}
	mapped = g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			      "the modem at %s cannot select SIM slot %u (UIM Get Slot Status: %s)",
			      self->device_path, self->slot, qmi_protocol_error_name (error));
	g_error_free (error);
	setup_fail (task, mapped);
}

static gboolean setup_wait_slot_cb (gpointer user_data);

static void
setup_slot_status_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimGetSlotStatusOutput) output = NULL;
	GError *error = NULL;
	GArray *slots = NULL;
	guint8 logical = 0;
	EsimQmiUimSlotState state;
	g_autoptr(GSource) poll = NULL;

	output = qmi_client_uim_get_slot_status_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output != NULL && qmi_message_uim_get_slot_status_output_get_result (output, &error))
		qmi_message_uim_get_slot_status_output_get_physical_slot_status (output, &slots, &error);
	if (error != NULL) {
		setup_slot_status_failed (g_steal_pointer (&task), error);
		return;
	}
	state = esim_qmi_uim_slot_state (slots, self->slot, &logical);
	if (state == ESIM_QMI_UIM_SLOT_MISSING) {
		setup_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					       "the modem at %s has no SIM slot %u (it has %u)",
					       self->device_path, self->slot,
					       slots != NULL ? slots->len : 0));
		return;
	}
	if (state == ESIM_QMI_UIM_SLOT_ACTIVE) {
		self->logical_slot = logical;
		g_debug ("QMI: SIM slot %u is logical slot %u", self->slot, logical);
		ctx->step = SETUP_STEP_DONE;
		setup_step (task);
		return;
	}
	if (state == ESIM_QMI_UIM_SLOT_NO_CARD && !ctx->switched) {
		setup_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					       "no card in SIM slot %u of the modem at %s",
					       self->slot, self->device_path));
		return;
	}
	if (!ctx->switched) {
		ctx->step = SETUP_STEP_SWITCH_SLOT;
		setup_step (task);
		return;
	}
	/* switched: the card powers up in its new slot */
	if (++ctx->polls >= SLOT_POLL_ATTEMPTS) {
		setup_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					       "SIM slot %u of the modem at %s did not become active "
					       "after switching to it", self->slot, self->device_path));
		return;
	}
	poll = g_timeout_source_new (SLOT_POLL_INTERVAL_MS);
	g_task_attach_source (task, poll, setup_wait_slot_cb);
}

static gboolean
setup_wait_slot_cb (gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	SetupCtx *ctx = g_task_get_task_data (task);

	ctx->step = SETUP_STEP_SLOT_STATUS;
	setup_step (task);
	return G_SOURCE_REMOVE;
}

static void
setup_switch_slot_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimSwitchSlotOutput) output = NULL;
	GError *error = NULL;

	output = qmi_client_uim_switch_slot_finish (QMI_CLIENT_UIM (source), res, &error);
	if (output != NULL)
		qmi_message_uim_switch_slot_output_get_result (output, &error);
	/* NoEffect: that slot is active already */
	if (g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_NO_EFFECT))
		g_clear_error (&error);
	if (error != NULL) {
		setup_fail (task, qmi_refusal_error (self, error, "switching to SIM slot %u",
						     self->slot));
		return;
	}
	g_message ("QMI: switched the modem at %s to SIM slot %u, where the eUICC is",
		   self->device_path, self->slot);
	ctx->switched = TRUE;
	ctx->step = SETUP_STEP_SLOT_STATUS;
	setup_step (task);
}

static QmiDeviceOpenFlags
setup_open_flags (EsimChannelQmi *self)
{
	QmiDeviceOpenFlags flags = QMI_DEVICE_OPEN_FLAGS_NONE;
	g_autofree gchar *base = g_path_get_basename (self->device_path);

	/* libqmi finds QMI-vs-MBIM from the kernel driver; ttys and
	 * pseudo-terminals have none and carry plain QMUX */
	if (!g_str_has_prefix (self->device_path, "/dev/pts/") && !g_str_has_prefix (base, "tty"))
		flags |= QMI_DEVICE_OPEN_FLAGS_AUTO;
	if (self->flags & ESIM_CHANNEL_QMI_FLAGS_PROXY)
		flags |= QMI_DEVICE_OPEN_FLAGS_PROXY;
	else
		flags |= QMI_DEVICE_OPEN_FLAGS_SYNC;
	return flags;
}

static void
setup_step (GTask *task)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	SetupCtx *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = ctx->lc->cancellable;

	switch (ctx->step) {
	case SETUP_STEP_DEVICE_NEW: {
		g_autoptr(GFile) file = g_file_new_for_path (self->device_path);

		qmi_device_new (file, cancellable, setup_device_new_ready, g_object_ref (task));
		return;
	}
	case SETUP_STEP_DEVICE_OPEN:
		qmi_device_open (self->device, setup_open_flags (self), self->timeout, cancellable,
				 setup_device_open_ready, g_object_ref (task));
		return;
	case SETUP_STEP_ALLOCATE_CLIENT:
		qmi_device_allocate_client (self->device, QMI_SERVICE_UIM, QMI_CID_NONE, self->timeout,
					    cancellable, setup_client_ready, g_object_ref (task));
		return;
	case SETUP_STEP_RESET_CLIENT_STATE:
		qmi_client_uim_reset (QMI_CLIENT_UIM (self->client), NULL, self->timeout, cancellable,
				      setup_reset_ready, g_object_ref (task));
		return;
	case SETUP_STEP_SLOT_STATUS:
		if (self->slot == 0) {
			self->logical_slot = 1;
			ctx->step = SETUP_STEP_DONE;
			setup_step (task);
			return;
		}
		qmi_client_uim_get_slot_status (QMI_CLIENT_UIM (self->client), NULL, self->timeout,
						cancellable, setup_slot_status_ready,
						g_object_ref (task));
		return;
	case SETUP_STEP_SWITCH_SLOT: {
		g_autoptr(QmiMessageUimSwitchSlotInput) input = qmi_message_uim_switch_slot_input_new ();

		g_message ("QMI: the eUICC's SIM slot %u of the modem at %s is inactive; switching to it",
			   self->slot, self->device_path);
		qmi_message_uim_switch_slot_input_set_logical_slot (input, 1, NULL);
		qmi_message_uim_switch_slot_input_set_physical_slot (input, self->slot, NULL);
		qmi_client_uim_switch_slot (QMI_CLIENT_UIM (self->client), input, self->timeout,
					    cancellable, setup_switch_slot_ready, g_object_ref (task));
		return;
	}
	case SETUP_STEP_DONE:
	default:
		g_task_return_boolean (task, TRUE);
		return;
	}
}

static void
setup_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (source);
	g_autoptr(GError) error = NULL;
	GList *waiters;

	self->setup_running = FALSE;
	if (g_task_propagate_boolean (G_TASK (res), &error)) {
		self->ready = TRUE;
		g_clear_pointer (&self->gone_reason, g_free);
		g_debug ("QMI: %s ready (UIM client %u, logical slot %u)", self->device_path,
			 qmi_client_get_cid (self->client), self->logical_slot);
	} else {
		g_debug ("QMI: setting up %s failed: %s", self->device_path, error->message);
		esim_channel_qmi_teardown (self, self->device_gone, NULL, NULL);
	}
	waiters = g_steal_pointer (&self->setup_waiters);
	for (GList *l = waiters; l != NULL; l = l->next) {
		GTask *waiter = G_TASK (l->data);

		if (error != NULL)
			g_task_return_error (waiter, g_error_copy (error));
		else
			g_task_return_boolean (waiter, TRUE);
	}
	g_list_free_full (waiters, g_object_unref);
}

/* Completes once the device is open, the client allocated and the slot known. */
static void
ensure_ready (EsimChannelQmi *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) waiter = g_task_new (self, NULL, callback, user_data);
	g_autoptr(GTask) task = NULL;
	SetupCtx *ctx;

	if (self->ready) {
		g_task_return_boolean (waiter, TRUE);
		return;
	}
	self->setup_waiters = g_list_append (self->setup_waiters, g_steal_pointer (&waiter));
	if (self->setup_running)
		return;

	self->setup_running = TRUE;
	ctx = g_new0 (SetupCtx, 1);
	ctx->lc = linked_cancellable_new (self->generation, NULL);
	if (self->device != NULL && !self->device_gone && self->client == NULL &&
	    qmi_device_is_open (self->device)) {
		/* the modem forgot our client, the port is fine: a new client will do */
		g_debug ("QMI: allocating a new UIM client on %s", self->device_path);
		ctx->step = SETUP_STEP_ALLOCATE_CLIENT;
	} else if (self->device != NULL) {
		/* a previous device being torn down is dropped first */
		esim_channel_qmi_teardown (self, self->device_gone, NULL, NULL);
	}
	task = g_task_new (self, NULL, setup_done, NULL);
	g_task_set_task_data (task, ctx, (GDestroyNotify) setup_ctx_free);
	setup_step (task);
}

static gboolean
ensure_ready_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* open */

typedef enum {
	OPEN_STEP_READY,
	OPEN_STEP_OPEN,
	OPEN_STEP_SWEEP,
	OPEN_STEP_DONE,
} OpenStep;

typedef struct {
	OpenStep step;
	GBytes  *aid;
	gboolean swept;
	guint    sweep_channel;
	gint     channel;
	guint    session;  /* the client the request in flight was sent with */
} OpenCtx;

static void
open_ctx_free (OpenCtx *ctx)
{
	g_bytes_unref (ctx->aid);
	g_free (ctx);
}

static void open_step (GTask *task);

static void
open_ready_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	OpenCtx *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!ensure_ready_finish (self, res, &error)) {
		g_task_return_error (task, error);
		return;
	}
	ctx->step = OPEN_STEP_OPEN;
	open_step (task);
}

/* Whether an Open Logical Channel failure means "the card has no free channel". */
static gboolean
open_failure_is_card_full (const GError *error, const EsimQmiUimOpenResult *result)
{
	if (g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INSUFFICIENT_RESOURCES))
		return TRUE;
	return result->has_sw && (result->sw == ESIM_SW_FUNCTION_NOT_SUPPORTED ||
	                          result->sw == ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
}

/* The clear error for a refused Open Logical Channel. */
static GError *
open_map_error (EsimChannelQmi *self, GError *error, const EsimQmiUimOpenResult *result)
{
	g_autoptr(GError) owned = error;
	GError *sw_error = NULL;

	if (owned->domain != QMI_PROTOCOL_ERROR)
		return g_steal_pointer (&owned);
	switch (owned->code) {
	case QMI_PROTOCOL_ERROR_ACCESS_DENIED:
	case QMI_PROTOCOL_ERROR_INTERNAL:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
				    "the modem refuses logical channels to the eUICC (QMI %s)",
				    qmi_protocol_error_name (owned));
	case QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND:
	case QMI_PROTOCOL_ERROR_NOT_SUPPORTED:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
				    "the modem does not support UIM Open Logical Channel (QMI %s)",
				    qmi_protocol_error_name (owned));
	default:
		break;
	}
	if (open_failure_is_card_full (owned, result))
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
				    "the card has no free logical channel (QMI %s)",
				    qmi_protocol_error_name (owned));
	/* the card answered the SELECT: its status word says more than QMI */
	if (result->has_sw && !esim_apdu_check_sw (result->sw, &sw_error)) {
		g_prefix_error (&sw_error, "SELECT through the modem: ");
		return sw_error;
	}
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			    "UIM Open Logical Channel failed on the modem at %s (QMI %s)",
			    self->device_path, qmi_protocol_error_name (owned));
}

static void
open_channel_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	OpenCtx *ctx = g_task_get_task_data (task);
	EsimQmiUimOpenResult result;
	GError *error = NULL;
	GError *sw_error = NULL;

	if (!uim_open_channel_finish (self, res, &result, &error)) {
		if (qmi_error_is_client_gone (error)) {
			session_lost (self, ctx->session, "QMI InvalidClientId");
			g_error_free (error);
			g_task_return_error (task, session_lost_error (self, "UIM Open Logical Channel"));
			return;
		}
		if (!ctx->swept && open_failure_is_card_full (error, &result)) {
			g_message ("QMI: the card has no free logical channel; closing stale ones");
			g_error_free (error);
			ctx->swept = TRUE;
			ctx->step = OPEN_STEP_SWEEP;
			open_step (task);
			return;
		}
		g_task_return_error (task, open_map_error (self, error, &result));
		return;
	}
	if (result.channel == 0 || result.channel > MAX_CHANNEL) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
					 "the modem opened invalid logical channel %u", result.channel);
		return;
	}
	self->open_channels |= 1u << result.channel;
	self->lost_channels &= ~(1u << result.channel);
	if (result.has_sw && !esim_apdu_check_sw (result.sw, &sw_error)) {
		/* a modem passing a failed SELECT as success: do not keep the channel */
		g_prefix_error (&sw_error, "SELECT through the modem: ");
		uim_close_channel (self, result.channel, NULL, NULL, NULL);
		self->open_channels &= ~(1u << result.channel);
		g_task_return_error (task, sw_error);
		return;
	}
	g_debug ("QMI: logical channel %u open", result.channel);
	ctx->channel = result.channel;
	ctx->step = OPEN_STEP_DONE;
	open_step (task);
}

static void
open_sweep_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	if (!uim_close_channel_finish (self, res, &error)) {
		if (qmi_error_is_client_gone (error)) {
			OpenCtx *ctx = g_task_get_task_data (task);

			session_lost (self, ctx->session, "QMI InvalidClientId");
			g_task_return_error (task, session_lost_error (self, "UIM Logical Channel close"));
			return;
		}
		if (error->domain != QMI_PROTOCOL_ERROR) {
			g_task_return_error (task, g_steal_pointer (&error));
			return;
		}
	} else {
		OpenCtx *ctx = g_task_get_task_data (task);
		g_message ("QMI: closed stale logical channel %u", ctx->sweep_channel);
	}
	open_step (task);
}

static void
open_step (GTask *task)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	OpenCtx *ctx = g_task_get_task_data (task);

	if (g_task_return_error_if_cancelled (task))
		return;
	switch (ctx->step) {
	case OPEN_STEP_READY:
		ensure_ready (self, open_ready_cb, g_object_ref (task));
		return;
	case OPEN_STEP_OPEN:
		if (!self->ready) {
			ctx->step = OPEN_STEP_READY;
			open_step (task);
			return;
		}
		ctx->session = self->session;
		uim_open_channel (self, ctx->aid, g_task_get_cancellable (task), open_channel_cb,
				  g_object_ref (task));
		return;
	case OPEN_STEP_SWEEP:
		/* channels 1..19 that are not ours, one at a time, then retry */
		while (++ctx->sweep_channel <= MAX_CHANNEL) {
			if (!(self->open_channels & (1u << ctx->sweep_channel)))
				break;
		}
		if (ctx->sweep_channel > MAX_CHANNEL || !self->ready) {
			ctx->step = OPEN_STEP_OPEN;
			open_step (task);
			return;
		}
		ctx->session = self->session;
		uim_close_channel (self, ctx->sweep_channel, g_task_get_cancellable (task),
				   open_sweep_cb, g_object_ref (task));
		return;
	case OPEN_STEP_DONE:
	default:
		g_task_return_int (task, ctx->channel);
		return;
	}
}

static void
esim_channel_qmi_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	OpenCtx *ctx;

	g_task_set_source_tag (task, esim_channel_qmi_open_async);
	if (g_bytes_get_size (aid) < 5 || g_bytes_get_size (aid) > 16) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "AID of %" G_GSIZE_FORMAT " bytes (must be 5 to 16)",
					 g_bytes_get_size (aid));
		return;
	}
	ctx = g_new0 (OpenCtx, 1);
	ctx->aid = g_bytes_ref (aid);
	g_task_set_task_data (task, ctx, (GDestroyNotify) open_ctx_free);
	open_step (task);
}

static gint
esim_channel_qmi_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), -1);
	return g_task_propagate_int (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* transmit */

typedef struct {
	guint8  channel;
	GBytes *command;
	guint   session;  /* the client the command was sent with */
} TransmitCtx;

static void
transmit_ctx_free (TransmitCtx *ctx)
{
	g_bytes_unref (ctx->command);
	g_free (ctx);
}

/* Send APDU refusals that mean the modem no longer knows the channel: the
 * card was reset (REFRESH after a profile switch, power cycle). */
static gboolean
transmit_error_is_channel_gone (const GError *error)
{
	return g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT) ||
	       g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY) ||
	       g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_UIM_UNINITIALIZED) ||
	       g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_NO_SIM) ||
	       g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_SESSION_INVALID) ||
	       g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_SESSION_INACTIVE);
}

static void
transmit_sent_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	TransmitCtx *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) response = uim_send_apdu_finish (self, res, &error);

	if (response == NULL) {
		if (qmi_error_is_client_gone (error)) {
			session_lost (self, ctx->session, "QMI InvalidClientId");
			g_task_return_error (task, session_lost_error (self, "UIM Send APDU"));
			return;
		}
		if (transmit_error_is_channel_gone (error)) {
			self->open_channels &= ~(1u << ctx->channel);
			g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
						 "the modem no longer has logical channel %u "
						 "(card reset?): QMI %s", ctx->channel,
						 qmi_protocol_error_name (error));
			return;
		}
		g_task_return_error (task, qmi_refusal_error (self, g_steal_pointer (&error),
							      "UIM Send APDU"));
		return;
	}
	if (g_bytes_get_size (response) < 2) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
					 "the modem returned a %" G_GSIZE_FORMAT "-byte APDU response",
					 g_bytes_get_size (response));
		return;
	}
	g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) g_bytes_unref);
}

/* Channels 1–19 must be ones we opened and still hold; 0 is the basic channel.
 * A channel that went with a lost client or port fails once as SESSION_LOST
 * (the command is not sent), then as any channel that is not open. */
static gboolean
transmit_check_channel (EsimChannelQmi *self, guint8 channel, GError **error)
{
	if (channel == 0 || (self->ready && (self->open_channels & (1u << channel))))
		return TRUE;
	if (self->lost_channels & (1u << channel)) {
		self->lost_channels &= ~(1u << channel);
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST,
			     "logical channel %u went with the modem session at %s (%s); "
			     "the command was not sent", channel, self->device_path,
			     self->lost_reason != NULL ? self->lost_reason : "lost");
		return FALSE;
	}
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
		     "logical channel %u is not open on the modem at %s%s%s%s", channel,
		     self->device_path, self->gone_reason != NULL ? " (" : "",
		     self->gone_reason != NULL ? self->gone_reason : "",
		     self->gone_reason != NULL ? ")" : "");
	return FALSE;
}

static void
transmit_ready_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	TransmitCtx *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!ensure_ready_finish (self, res, &error) ||
	    !transmit_check_channel (self, ctx->channel, &error)) {
		g_task_return_error (task, error);
		return;
	}
	if (g_task_return_error_if_cancelled (task))
		return;
	/* the basic channel, and the client lost since setup completed */
	if (!self->ready) {
		ensure_ready (self, transmit_ready_cb, g_object_ref (task));
		return;
	}
	ctx->session = self->session;
	uim_send_apdu (self, ctx->channel, ctx->command, g_task_get_cancellable (task),
		       transmit_sent_cb, g_object_ref (task));
}

static void
esim_channel_qmi_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
				 GCancellable *cancellable, GAsyncReadyCallback callback,
				 gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	GError *error = NULL;
	TransmitCtx *ctx;

	g_task_set_source_tag (task, esim_channel_qmi_transmit_async);
	if (logical_channel < 0 || logical_channel > MAX_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "invalid logical channel %d", logical_channel);
		return;
	}
	if (command == NULL || g_bytes_get_size (command) < 4 ||
	    g_bytes_get_size (command) > APDU_MAX_LEN) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "command APDU of %" G_GSIZE_FORMAT " bytes (must be 4 to %u)",
					 command != NULL ? g_bytes_get_size (command) : 0,
					 APDU_MAX_LEN);
		return;
	}
	/* no device means no channel: do not reopen a port just to say so */
	if (!transmit_check_channel (self, logical_channel, &error)) {
		g_task_return_error (task, error);
		return;
	}
	ctx = g_new0 (TransmitCtx, 1);
	ctx->channel = logical_channel;
	ctx->command = g_bytes_ref (command);
	g_task_set_task_data (task, ctx, (GDestroyNotify) transmit_ctx_free);
	ensure_ready (self, transmit_ready_cb, g_steal_pointer (&task));
}

static GBytes *
esim_channel_qmi_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* close */

static void
close_sent_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;
	gboolean closed = uim_close_channel_finish (self, res, &error);

	if (qmi_error_is_client_gone (error))
		session_lost (self, GPOINTER_TO_UINT (g_task_get_task_data (task)),
			      "QMI InvalidClientId");
	if (closed || qmi_error_is_client_gone (error) ||
	    transmit_error_is_channel_gone (error) || self->device_gone) {
		/* closed now, or already gone with a card reset, our client or the port */
		g_task_return_boolean (task, TRUE);
		return;
	}
	g_task_return_error (task, qmi_refusal_error (self, g_steal_pointer (&error),
						      "UIM Logical Channel close"));
}

static void
esim_channel_qmi_close_async (EsimChannel *channel, gint logical_channel,
			      GCancellable *cancellable, GAsyncReadyCallback callback,
			      gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, esim_channel_qmi_close_async);
	if (logical_channel < 1 || logical_channel > MAX_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "invalid logical channel %d", logical_channel);
		return;
	}
	/* not ours (any more): a card reset, a lost client or port already closed it */
	self->lost_channels &= ~(1u << logical_channel);
	if (!self->ready || !(self->open_channels & (1u << logical_channel))) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	/* forgotten now: whatever the modem answers, we will not use it again */
	self->open_channels &= ~(1u << logical_channel);
	g_task_set_task_data (task, GUINT_TO_POINTER (self->session), NULL);
	uim_close_channel (self, logical_channel, cancellable, close_sent_cb, g_steal_pointer (&task));
}

static gboolean
esim_channel_qmi_close_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* reset_card: UIM Power Off SIM + Power On SIM.  A refusal for a client the
 * modem forgot reached no card: the reset starts over once with a new client
 * (Power Off on a card already off is NoEffect, which counts as done). */

typedef struct {
	LinkedCancellable *lc;
	guint              session;  /* the client the request in flight was sent with */
	gboolean           retried;  /* started over once for a lost client */
} ResetCtx;

static void
reset_ctx_free (ResetCtx *ctx)
{
	linked_cancellable_free (ctx->lc);
	g_free (ctx);
}

static void reset_ready_cb (GObject *source, GAsyncResult *res, gpointer user_data);

/* The client is gone (@error, taken, or none when it went between two steps):
 * TRUE if the reset starts over with a new client, FALSE if @task was failed. */
static gboolean
reset_restart (GTask *task, GError *error, const gchar *what)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	ResetCtx *ctx = g_task_get_task_data (task);

	/* taken: the lost client's own error says nothing the reset error does not */
	g_clear_error (&error);
	session_lost (self, ctx->session, "QMI InvalidClientId");
	if (ctx->retried) {
		g_task_return_error (task, session_lost_error (self, what));
		return FALSE;
	}
	ctx->retried = TRUE;
	ensure_ready (self, reset_ready_cb, g_object_ref (task));
	return TRUE;
}

/* TRUE if the power request succeeded; otherwise @task was failed or restarted. */
static gboolean
reset_check_power_result (GTask *task, gboolean ok, GError *error, const gchar *what)
{
	EsimChannelQmi *self = g_task_get_source_object (task);
	ResetCtx *ctx = g_task_get_task_data (task);

	/* NoEffect: already in the state we asked for */
	if (ok || g_error_matches (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_NO_EFFECT)) {
		g_clear_error (&error);
		return TRUE;
	}
	if (qmi_error_is_client_gone (error)) {
		reset_restart (task, error, what);
		return FALSE;
	}
	if (error->domain == QMI_PROTOCOL_ERROR) {
		g_task_return_error (task, qmi_refusal_error (self, error,
							      "%s (power-cycling the card)", what));
		return FALSE;
	}
	g_task_return_error (task, qmi_map_error (error, ctx->lc, what, self->gone_reason));
	return FALSE;
}

static void
reset_power_on_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	g_autoptr(QmiMessageUimPowerOnSimOutput) output = NULL;
	GError *error = NULL;
	gboolean ok;

	output = qmi_client_uim_power_on_sim_finish (QMI_CLIENT_UIM (source), res, &error);
	ok = output != NULL && qmi_message_uim_power_on_sim_output_get_result (output, &error);
	if (!reset_check_power_result (task, ok, error, "UIM Power On SIM"))
		return;
	g_message ("QMI: power-cycled the card in logical slot %u of the modem at %s",
		   self->logical_slot, self->device_path);
	g_task_return_boolean (task, TRUE);
}

static void
reset_power_off_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	ResetCtx *ctx = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimPowerOnSimInput) input = NULL;
	g_autoptr(QmiMessageUimPowerOffSimOutput) output = NULL;
	GError *error = NULL;
	gboolean ok;

	output = qmi_client_uim_power_off_sim_finish (QMI_CLIENT_UIM (source), res, &error);
	ok = output != NULL && qmi_message_uim_power_off_sim_output_get_result (output, &error);
	if (!reset_check_power_result (task, ok, error, "UIM Power Off SIM"))
		return;
	/* every logical channel died with the power */
	self->open_channels = 0;
	if (self->client == NULL) {
		reset_restart (task, NULL, "UIM Power On SIM");
		return;
	}
	input = qmi_message_uim_power_on_sim_input_new ();
	qmi_message_uim_power_on_sim_input_set_slot (input, self->logical_slot, NULL);
	ctx->session = self->session;
	qmi_client_uim_power_on_sim (QMI_CLIENT_UIM (self->client), input, self->timeout,
				     ctx->lc->cancellable, reset_power_on_cb, g_steal_pointer (&task));
}

static void
reset_ready_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);
	ResetCtx *ctx = g_task_get_task_data (task);
	g_autoptr(QmiMessageUimPowerOffSimInput) input = NULL;
	GError *error = NULL;

	if (!ensure_ready_finish (self, res, &error)) {
		g_task_return_error (task, error);
		return;
	}
	if (g_task_return_error_if_cancelled (task))
		return;
	/* the client was lost again since setup completed */
	if (!self->ready) {
		ensure_ready (self, reset_ready_cb, g_steal_pointer (&task));
		return;
	}
	input = qmi_message_uim_power_off_sim_input_new ();
	qmi_message_uim_power_off_sim_input_set_slot (input, self->logical_slot, NULL);
	ctx->session = self->session;
	qmi_client_uim_power_off_sim (QMI_CLIENT_UIM (self->client), input, self->timeout,
				      ctx->lc->cancellable, reset_power_off_cb, g_steal_pointer (&task));
}

static void
esim_channel_qmi_reset_card_async (EsimChannel *channel, GCancellable *cancellable,
				   GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (channel);
	GTask *task = g_task_new (self, cancellable, callback, user_data);
	ResetCtx *ctx = g_new0 (ResetCtx, 1);

	g_task_set_source_tag (task, esim_channel_qmi_reset_card_async);
	ctx->lc = linked_cancellable_new (self->generation, cancellable);
	g_task_set_task_data (task, ctx, (GDestroyNotify) reset_ctx_free);
	ensure_ready (self, reset_ready_cb, task);
}

static gboolean
esim_channel_qmi_reset_card_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* shutdown */

static void
shutdown_teardown_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);

	g_task_return_boolean (task, g_task_propagate_boolean (G_TASK (res), NULL));
}

static void
shutdown_setup_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelQmi *self = g_task_get_source_object (task);

	/* whatever setup ended with, nothing stays open */
	esim_channel_qmi_teardown (self, self->device_gone, shutdown_teardown_cb,
				   g_steal_pointer (&task));
}

void
esim_channel_qmi_shutdown_async (EsimChannelQmi *self, GCancellable *cancellable,
				 GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail (ESIM_IS_CHANNEL_QMI (self));
	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_qmi_shutdown_async);
	/* whoever still waits for the modem learns why it will not answer */
	abort_requests (self, g_strdup_printf ("the channel to the modem at %s was shut down",
					       self->device_path));
	/* closed by us, not lost */
	self->lost_channels = 0;
	if (self->setup_running) {
		GTask *waiter = g_task_new (self, NULL, shutdown_setup_done_cb, g_steal_pointer (&task));

		g_debug ("QMI: shutdown while setting up %s: waiting for it", self->device_path);
		self->setup_waiters = g_list_append (self->setup_waiters, waiter);
		return;
	}
	esim_channel_qmi_teardown (self, self->device_gone, shutdown_teardown_cb,
				   g_steal_pointer (&task));
}

gboolean
esim_channel_qmi_shutdown_finish (EsimChannelQmi *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* GObject */

static const gchar *
esim_channel_qmi_get_transport (EsimChannel *channel)
{
	return "qmi";
}

static void
esim_channel_qmi_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = esim_channel_qmi_get_transport;
	iface->open_async = esim_channel_qmi_open_async;
	iface->open_finish = esim_channel_qmi_open_finish;
	iface->transmit_async = esim_channel_qmi_transmit_async;
	iface->transmit_finish = esim_channel_qmi_transmit_finish;
	iface->close_async = esim_channel_qmi_close_async;
	iface->close_finish = esim_channel_qmi_close_finish;
	iface->reset_card_async = esim_channel_qmi_reset_card_async;
	iface->reset_card_finish = esim_channel_qmi_reset_card_finish;
}

static void
esim_channel_qmi_dispose (GObject *object)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (object);

	/* setup and every request hold a reference: nothing runs now */
	if (self->device != NULL)
		esim_channel_qmi_teardown (self, self->device_gone, NULL, NULL);
	G_OBJECT_CLASS (esim_channel_qmi_parent_class)->dispose (object);
}

static void
esim_channel_qmi_finalize (GObject *object)
{
	EsimChannelQmi *self = ESIM_CHANNEL_QMI (object);

	g_clear_object (&self->generation);
	g_clear_object (&self->open_token);
	g_free (self->device_path);
	g_free (self->gone_reason);
	g_free (self->lost_reason);
	G_OBJECT_CLASS (esim_channel_qmi_parent_class)->finalize (object);
}

static void
esim_channel_qmi_class_init (EsimChannelQmiClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_channel_qmi_dispose;
	object_class->finalize = esim_channel_qmi_finalize;
}

static void
esim_channel_qmi_init (EsimChannelQmi *self)
{
	self->timeout = ESIM_CHANNEL_QMI_DEFAULT_TIMEOUT;
	self->generation = g_cancellable_new ();
}

EsimChannelQmi *
esim_channel_qmi_new (const gchar *device_path, guint slot, EsimChannelQmiFlags flags)
{
	EsimChannelQmi *self;

	g_return_val_if_fail (device_path != NULL && device_path[0] != '\0', NULL);
	self = g_object_new (ESIM_TYPE_CHANNEL_QMI, NULL);
	self->device_path = g_strdup (device_path);
	self->slot = slot;
	self->flags = flags;
	return self;
}

const gchar *
esim_channel_qmi_get_device_path (EsimChannelQmi *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_QMI (self), NULL);
	return self->device_path;
}

guint
esim_channel_qmi_get_slot (EsimChannelQmi *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_QMI (self), 0);
	return self->slot;
}

guint
esim_channel_qmi_get_logical_slot (EsimChannelQmi *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_QMI (self), 0);
	return self->ready ? self->logical_slot : 0;
}

void
esim_channel_qmi_hold_while_open (EsimChannelQmi *self, GObject *token)
{
	g_return_if_fail (ESIM_IS_CHANNEL_QMI (self));
	g_return_if_fail (G_IS_OBJECT (token));
	g_set_object (&self->open_token, token);
}

void
esim_channel_qmi_set_timeout (EsimChannelQmi *self, guint seconds)
{
	g_return_if_fail (ESIM_IS_CHANNEL_QMI (self));
	g_return_if_fail (seconds > 0);
	self->timeout = seconds;
}
