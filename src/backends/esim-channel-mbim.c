/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "mbim" channel backend (see esim-channel-mbim.h for the behaviour).
 *
 * Layout of this file:
 *   - the port: one MbimDevice, opened on demand by whoever needs it first
 *     (callers queue while it opens or closes) and closed when nothing uses
 *     it; "device-removed" fails every command in flight at once;
 *   - a lost session: the modem answers NotOpened when its function no
 *     longer knows our OPEN (the function restarted, another program closed
 *     it, or mbim-proxy found the device closed); the device is dropped with
 *     every channel and the next open starts a new session.  mbim-proxy
 *     closes its device on NotOpened and answers NotOpened from then on
 *     (libmbim NEWS 1.12, mbim-proxy.c proxy_device_error_cb()); libmbim
 *     1.28's proxy then never reopens it, which esimd can only report;
 *   - commands: mbim_device_command() with a cancellable of our own per
 *     command, so both the caller and a vanished port can abort it;
 *   - the open step machine: port, slot mapping, card ready, Open Channel;
 *   - transmit, close and reset.
 * What the modem answers is read by esim-mbim-uicc.c (fuzzed on its own).
 */

#define G_LOG_DOMAIN "esim"

#include <libmbim-glib.h>

#include "esim-apdu.h"
#include "esim-channel-mbim.h"
#include "esim-error.h"
#include "esim-mbim-uicc.h"
#include "esim-tags.h"

#define PORT_OPEN_TIMEOUT_S     15
#define PORT_CLOSE_TIMEOUT_S    5
#define COMMAND_TIMEOUT_S       10
/* a STORE DATA of a bound profile package segment may take the card a while */
#define APDU_TIMEOUT_S          30
/* lpac#241: the card needed about a second after a slot switch */
#define READY_POLL_INTERVAL_MS  500
#define READY_POLL_ATTEMPTS     20

#define MAX_LOGICAL_CHANNEL ESIM_LOGICAL_CHANNEL_MAX

typedef enum {
	PORT_CLOSED,
	PORT_OPENING,
	PORT_OPEN,
	PORT_CLOSING,
} PortState;

struct _EsimChannelMbim {
	GObject              parent_instance;
	gchar               *device_path;
	guint                slot;
	EsimMbimQuirks       quirks;
	EsimChannelMbimFlags flags;

	PortState            port_state;
	MbimDevice          *device;
	gulong               removed_id;
	gulong               error_id;
	guint                lost_idle_id;   /* a NotOpened no command waited for, handled here */
	guint                lost_idle_session; /* the port session it was for */
	MbimDevice          *dropped;        /* a gone session's device: closed before the next opens */
	guint                dropped_idle_id;
	guint                port_session;   /* counts port openings, to spot stale callbacks */
	gboolean             session_lost;   /* the modem dropped our session: channels gone */
	GQueue               port_waiters;   /* GTask *, completed when the port is open or failed */
	GPtrArray           *in_flight;      /* CommandContext *, not owned */
	GArray              *channels;       /* guint32: logical channels open in the modem */
	guint                n_users;        /* operations using the port besides open channels */
};

static void esim_channel_mbim_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimChannelMbim, esim_channel_mbim, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, esim_channel_mbim_iface_init))

static void port_open_start (EsimChannelMbim *self);

/* ------------------------------------------------------------------------ */
/* helpers */

static gboolean
channel_is_open (EsimChannelMbim *self, guint32 channel)
{
	for (guint i = 0; i < self->channels->len; i++) {
		if (g_array_index (self->channels, guint32, i) == channel)
			return TRUE;
	}
	return FALSE;
}

static void
channel_forget (EsimChannelMbim *self, guint32 channel)
{
	for (guint i = 0; i < self->channels->len; i++) {
		if (g_array_index (self->channels, guint32, i) == channel) {
			g_array_remove_index_fast (self->channels, i);
			return;
		}
	}
}

static GError *
port_gone_error (EsimChannelMbim *self)
{
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
	                    "the MBIM port %s is not open (the modem went away?)",
	                    self->device_path);
}

/* For a command that never left: the session it needed is gone. */
static GError *
session_lost_error (EsimChannelMbim *self)
{
	return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST,
	                    "the MBIM session with %s was lost (the modem's function restarted, "
	                    "or mbim-proxy went away); its logical channels are gone",
	                    self->device_path);
}

/* A FUNCTION_ERROR NotOpened: the function refused the command outright. */
static gboolean
response_is_not_opened (MbimMessage *response)
{
	return mbim_message_get_message_type (response) == MBIM_MESSAGE_TYPE_FUNCTION_ERROR &&
	       mbim_message_error_get_error_status_code (response) == MBIM_PROTOCOL_ERROR_NOT_OPENED;
}

/* Card states in which the eUICC answers: anything but "still starting". */
static gboolean
ready_state_is_settled (MbimSubscriberReadyState state)
{
	return state != MBIM_SUBSCRIBER_READY_STATE_NOT_INITIALIZED &&
	       state != MBIM_SUBSCRIBER_READY_STATE_SIM_NOT_INSERTED;
}

/* ------------------------------------------------------------------------ */
/* commands */

typedef struct {
	EsimChannelMbim *self;     /* not owned: the task holds a reference */
	GCancellable    *cancellable;
	GCancellable    *caller;
	gulong           caller_id;
	gboolean         port_gone;
	gboolean         session_lost; /* with port_gone: the session ended, not the port */
	guint            port_session; /* the session the command was sent in */
	guint            timeout_s;
} CommandContext;

static void
command_context_free (CommandContext *ctx)
{
	if (ctx->caller_id != 0)
		g_cancellable_disconnect (ctx->caller, ctx->caller_id);
	g_clear_object (&ctx->caller);
	g_clear_object (&ctx->cancellable);
	g_free (ctx);
}

static gboolean
command_cancel_idle (gpointer user_data)
{
	g_cancellable_cancel (G_CANCELLABLE (user_data));
	return G_SOURCE_REMOVE;
}

/* Deferred: cancelling may complete the command at once, and its cleanup
 * disconnects from @caller, which must not happen inside this emission. */
static void
command_caller_cancelled (GCancellable *caller, gpointer user_data)
{
	g_idle_add_full (G_PRIORITY_DEFAULT, command_cancel_idle, g_object_ref (user_data),
	                 g_object_unref);
}

static void port_session_lost (EsimChannelMbim *self, guint session);

static void
command_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	CommandContext *ctx = g_task_get_task_data (task);
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;

	g_ptr_array_remove (ctx->self->in_flight, ctx);
	response = mbim_device_command_finish (MBIM_DEVICE (source), res, &error);
	/* the function refused this very command: it never reached the card */
	if (response != NULL && response_is_not_opened (response)) {
		port_session_lost (ctx->self, ctx->port_session);
		g_task_return_error (task, session_lost_error (ctx->self));
		return;
	}
	if (ctx->port_gone && ctx->session_lost) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the MBIM session with %s was lost during the command",
		                         ctx->self->device_path);
		return;
	}
	if (ctx->port_gone) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the MBIM port %s went away during the command",
		                         ctx->self->device_path);
		return;
	}
	if (g_task_return_error_if_cancelled (task))
		return;
	if (response == NULL) {
		if (g_error_matches (error, MBIM_CORE_ERROR, MBIM_CORE_ERROR_TIMEOUT))
			g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			                         "the modem at %s did not answer within %u s",
			                         ctx->self->device_path, ctx->timeout_s);
		else
			g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
			                         "MBIM command on %s failed: %s",
			                         ctx->self->device_path, error->message);
		return;
	}
	if (mbim_message_get_message_type (response) == MBIM_MESSAGE_TYPE_FUNCTION_ERROR) {
		g_autoptr(GError) function_error = mbim_message_error_get_error (response);

		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the modem at %s refused the command (MBIM function error: %s)",
		                         ctx->self->device_path, function_error->message);
		return;
	}
	if (mbim_message_get_message_type (response) != MBIM_MESSAGE_TYPE_COMMAND_DONE) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the modem at %s answered with an MBIM %s message",
		                         ctx->self->device_path,
		                         mbim_message_type_get_string (mbim_message_get_message_type (response)));
		return;
	}
	g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) mbim_message_unref);
}

/* Sends @request on the open port.  The result is the COMMAND_DONE message
 * whatever its status; failures to get one are ESIM_APDU_ERROR_TRANSPORT. */
static void
command_async (EsimChannelMbim *self, MbimMessage *request, guint timeout_s,
               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	CommandContext *ctx;

	g_task_set_source_tag (task, command_async);
	if (self->device == NULL || !mbim_device_is_open (self->device)) {
		g_task_return_error (task, port_gone_error (self));
		return;
	}
	ctx = g_new0 (CommandContext, 1);
	ctx->self = self;
	ctx->timeout_s = timeout_s;
	ctx->port_session = self->port_session;
	ctx->cancellable = g_cancellable_new ();
	g_task_set_task_data (task, ctx, (GDestroyNotify) command_context_free);
	if (cancellable != NULL) {
		ctx->caller = g_object_ref (cancellable);
		ctx->caller_id = g_cancellable_connect (cancellable,
		                                        G_CALLBACK (command_caller_cancelled),
		                                        ctx->cancellable, NULL);
	}
	g_ptr_array_add (self->in_flight, ctx);
	mbim_device_command (self->device, request, timeout_s, ctx->cancellable, command_ready,
	                     g_steal_pointer (&task));
}

/* The response and its MBIM status (MBIM_STATUS_ERROR_NONE or another code). */
static MbimMessage *
command_finish (EsimChannelMbim *self, GAsyncResult *res, guint32 *status, GError **error)
{
	MbimMessage *response;

	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	response = g_task_propagate_pointer (G_TASK (res), error);
	if (response != NULL)
		*status = (guint32) mbim_message_command_done_get_status_code (response);
	return response;
}

/* ------------------------------------------------------------------------ */
/* the port */

typedef struct {
	MbimDevice *device;
	GArray     *channels;
	guint32     channel_group;
} Teardown;

static void teardown_next (Teardown *teardown);

static void
teardown_free (Teardown *teardown)
{
	g_object_unref (teardown->device);
	g_array_unref (teardown->channels);
	g_free (teardown);
}

static void
teardown_device_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!mbim_device_close_finish (MBIM_DEVICE (source), res, &error))
		g_debug ("closing the MBIM port: %s", error->message);
	teardown_free (user_data);
}

static void
teardown_channel_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;

	response = mbim_device_command_finish (MBIM_DEVICE (source), res, &error);
	if (response == NULL)
		g_debug ("closing a logical channel on release: %s", error->message);
	teardown_next (user_data);
}

/* Closes the channels still open, then the port, without the channel object:
 * runs after it is gone (dispose), holding only the device. */
static void
teardown_next (Teardown *teardown)
{
	g_autoptr(MbimMessage) request = NULL;
	guint32 channel;

	if (!mbim_device_is_open (teardown->device)) {
		teardown_free (teardown);
		return;
	}
	if (teardown->channels->len == 0) {
		mbim_device_close (teardown->device, PORT_CLOSE_TIMEOUT_S, NULL, teardown_device_closed,
		                   teardown);
		return;
	}
	channel = g_array_index (teardown->channels, guint32, teardown->channels->len - 1);
	g_array_set_size (teardown->channels, teardown->channels->len - 1);
	request = mbim_message_ms_uicc_low_level_access_close_channel_set_new (channel,
	                                                                        teardown->channel_group,
	                                                                        NULL);
	mbim_device_command (teardown->device, request, PORT_CLOSE_TIMEOUT_S, NULL,
	                     teardown_channel_closed, teardown);
}

/* Closes the device of a session that is gone, without a CLOSE (the modem
 * or mbim-proxy no longer knows it).  It must be closed before a new device
 * opens the port: the two would read each other's answers. */
static void
port_release_dropped (EsimChannelMbim *self)
{
	g_autoptr(MbimDevice) device = g_steal_pointer (&self->dropped);

	if (device != NULL && mbim_device_is_open (device))
		mbim_device_close_force (device, NULL);
}

static gboolean
port_dropped_idle (gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (user_data);

	self->dropped_idle_id = 0;
	port_release_dropped (self);
	return G_SOURCE_REMOVE;
}

/* Forgets the device and every channel; the next use opens a new session. */
static void
port_drop_device (EsimChannelMbim *self)
{
	MbimDevice *device = g_steal_pointer (&self->device);

	g_clear_signal_handler (&self->removed_id, device);
	g_clear_signal_handler (&self->error_id, device);
	/* we may be inside one of the device's emissions or callbacks: close it
	 * from an idle, or when the next session opens, whichever comes first */
	port_release_dropped (self);
	self->dropped = device;
	if (self->dropped_idle_id == 0)
		self->dropped_idle_id = g_idle_add_full (G_PRIORITY_HIGH, port_dropped_idle,
		                                         g_object_ref (self), g_object_unref);
	self->port_state = PORT_CLOSED;
	self->session_lost = TRUE;
	g_array_set_size (self->channels, 0);
}

/* Fails every command in flight and every waiter: the port or its session is
 * gone.  Waiters get @waiter_error (copied). */
static void
port_abort_all (EsimChannelMbim *self, gboolean session_lost, const GError *waiter_error)
{
	g_autoptr(GPtrArray) cancellables = g_ptr_array_new_with_free_func (g_object_unref);
	GTask *waiter;

	/* cancelling may complete a command at once, freeing its context: mark first */
	for (guint i = 0; i < self->in_flight->len; i++) {
		CommandContext *ctx = g_ptr_array_index (self->in_flight, i);

		ctx->port_gone = TRUE;
		ctx->session_lost = session_lost;
		g_ptr_array_add (cancellables, g_object_ref (ctx->cancellable));
	}
	for (guint i = 0; i < cancellables->len; i++)
		g_cancellable_cancel (g_ptr_array_index (cancellables, i));
	while ((waiter = g_queue_pop_head (&self->port_waiters)) != NULL) {
		g_task_return_error (waiter, g_error_copy (waiter_error));
		g_object_unref (waiter);
	}
}

static void
port_removed_cb (MbimDevice *device, gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (user_data);
	g_autoptr(GError) error = port_gone_error (self);

	/* the modem went away, or mbim-proxy did (it restarts on the next open) */
	g_message ("MBIM port %s went away; %u logical channel(s) lost", self->device_path,
	           self->channels->len);
	port_drop_device (self);
	port_abort_all (self, FALSE, error);
}

/* The modem's function no longer knows our MBIM session (NotOpened): every
 * logical channel went with it.  @session is the port session that learnt
 * it; a later one is left alone. */
static void
port_session_lost (EsimChannelMbim *self, guint session)
{
	g_autoptr(GError) error = NULL;

	if (session != self->port_session || self->device == NULL ||
	    (self->port_state != PORT_OPEN && self->port_state != PORT_OPENING))
		return;
	if (self->port_state == PORT_OPENING && (self->flags & ESIM_CHANNEL_MBIM_FLAGS_PROXY))
		/* libmbim 1.28's proxy force-closes its device on NotOpened but still
		 * takes it for open when a client comes back: it never reopens it */
		g_warning ("MBIM port %s: mbim-proxy refuses the new session too (NotOpened): it "
		           "does not reopen the modem after the modem's MBIM function restarted; "
		           "restarting mbim-proxy (with ModemManager) reopens it",
		           self->device_path);
	else
		g_message ("MBIM port %s: the modem no longer knows esimd's MBIM session (its "
		           "function restarted?); %u logical channel(s) lost, a new session opens "
		           "at the next use", self->device_path, self->channels->len);
	error = session_lost_error (self);
	port_drop_device (self);
	port_abort_all (self, TRUE, error);
}

static gboolean
port_lost_idle (gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (user_data);

	self->lost_idle_id = 0;
	port_session_lost (self, self->lost_idle_session);
	return G_SOURCE_REMOVE;
}

/* "device-error": a NotOpened the modem sent for a command is handled when
 * that command completes (right after this emission); one no command waits
 * for (a timed-out command's, an unsolicited one) from an idle. */
static void
port_error_cb (MbimDevice *device, GError *error, gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (user_data);

	if (!g_error_matches (error, MBIM_PROTOCOL_ERROR, MBIM_PROTOCOL_ERROR_NOT_OPENED)) {
		g_debug ("MBIM port %s: function error %s", self->device_path, error->message);
		return;
	}
	if (self->lost_idle_id != 0)
		return;
	self->lost_idle_session = self->port_session;
	self->lost_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, port_lost_idle,
	                                      g_object_ref (self), g_object_unref);
}

static void
port_complete_waiters (EsimChannelMbim *self, const GError *error)
{
	GTask *waiter;

	while ((waiter = g_queue_pop_head (&self->port_waiters)) != NULL) {
		if (error != NULL)
			g_task_return_error (waiter, g_error_copy (error));
		else
			g_task_return_boolean (waiter, TRUE);
		g_object_unref (waiter);
	}
}

static void
port_open_failed (EsimChannelMbim *self, GError *error)
{
	g_autoptr(GError) owned = error;

	if (self->device != NULL) {
		g_clear_signal_handler (&self->removed_id, self->device);
		g_clear_signal_handler (&self->error_id, self->device);
		if (mbim_device_is_open (self->device))
			mbim_device_close_force (self->device, NULL);
		g_clear_object (&self->device);
	}
	self->port_state = PORT_CLOSED;
	port_complete_waiters (self, owned);
}

static void
port_opened (EsimChannelMbim *self)
{
	self->port_state = PORT_OPEN;
	self->session_lost = FALSE;
	g_debug ("MBIM port %s open", self->device_path);
	port_complete_waiters (self, NULL);
}

static void
port_stale_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	guint session = GPOINTER_TO_UINT (user_data);
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;
	guint32 status = 0;

	response = command_finish (self, res, &status, &error);
	if (self->port_state != PORT_OPENING || self->port_session != session)
		return; /* the port went away meanwhile: the waiters got that error */
	if (response == NULL)
		g_debug ("clearing stale channels on %s: %s", self->device_path, error->message);
	else if (status != MBIM_STATUS_ERROR_NONE)
		g_debug ("clearing stale channels on %s: status %08X (ignored)", self->device_path,
		         status);
	port_opened (self);
}

static void
port_device_opened (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(EsimChannelMbim) self = ESIM_CHANNEL_MBIM (user_data);
	g_autoptr(MbimMessage) request = NULL;
	g_autoptr(GError) error = NULL;

	if (self->port_state != PORT_OPENING || self->device != MBIM_DEVICE (source))
		return; /* removed while opening: the waiters got that error */
	if (!mbim_device_open_full_finish (MBIM_DEVICE (source), res, &error)) {
		port_open_failed (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                                     "cannot open the MBIM port %s%s: %s",
		                                     self->device_path,
		                                     (self->flags & ESIM_CHANNEL_MBIM_FLAGS_PROXY) ?
		                                     " through mbim-proxy" : "",
		                                     error->message));
		return;
	}
	/* Channels a crashed run left in our group would count against the
	 * card's few logical channels.  Channel 0 closes the whole group (the
	 * MBIM form of the Windows RIL CloseUiccLogicalChannelGroup); never done
	 * on ModemManager's group. */
	if (self->quirks.channel_group == ESIM_MBIM_CHANNEL_GROUP_MODEMMANAGER) {
		port_opened (self);
		return;
	}
	request = mbim_message_ms_uicc_low_level_access_close_channel_set_new (0,
	                                                                        self->quirks.channel_group,
	                                                                        NULL);
	/* the command task keeps self alive */
	command_async (self, request, COMMAND_TIMEOUT_S, NULL, port_stale_closed,
	               GUINT_TO_POINTER (self->port_session));
}

static void
port_device_created (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(EsimChannelMbim) self = ESIM_CHANNEL_MBIM (user_data);
	g_autoptr(GError) error = NULL;
	MbimDeviceOpenFlags open_flags = MBIM_DEVICE_OPEN_FLAGS_NONE;

	self->device = mbim_device_new_finish (res, &error);
	port_release_dropped (self);
	if (self->device == NULL) {
		port_open_failed (self, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                                     "cannot use the MBIM port %s: %s",
		                                     self->device_path, error->message));
		return;
	}
	self->removed_id = g_signal_connect (self->device, MBIM_DEVICE_SIGNAL_REMOVED,
	                                     G_CALLBACK (port_removed_cb), self);
	self->error_id = g_signal_connect (self->device, MBIM_DEVICE_SIGNAL_ERROR,
	                                   G_CALLBACK (port_error_cb), self);
	if (self->flags & ESIM_CHANNEL_MBIM_FLAGS_PROXY)
		open_flags |= MBIM_DEVICE_OPEN_FLAGS_PROXY;
	mbim_device_open_full (self->device, open_flags, PORT_OPEN_TIMEOUT_S, NULL,
	                       port_device_opened, g_object_ref (self));
}

static void
port_open_start (EsimChannelMbim *self)
{
	g_autoptr(GFile) file = g_file_new_for_path (self->device_path);

	self->port_state = PORT_OPENING;
	self->port_session++;
	g_debug ("opening MBIM port %s%s", self->device_path,
	         (self->flags & ESIM_CHANNEL_MBIM_FLAGS_PROXY) ? " through mbim-proxy" : "");
	mbim_device_new (file, NULL, port_device_created, g_object_ref (self));
}

/* Completes when the port is open; opens it if needed. */
static void
port_acquire_async (EsimChannelMbim *self, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new (self, NULL, callback, user_data);

	g_task_set_source_tag (task, port_acquire_async);
	if (self->port_state == PORT_OPEN) {
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	}
	g_queue_push_tail (&self->port_waiters, task);
	if (self->port_state == PORT_CLOSED)
		port_open_start (self);
	/* PORT_OPENING: completed with the others; PORT_CLOSING: reopened after */
}

static gboolean
port_acquire_finish (EsimChannelMbim *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
port_device_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(EsimChannelMbim) self = ESIM_CHANNEL_MBIM (user_data);
	g_autoptr(GError) error = NULL;

	if (!mbim_device_close_finish (MBIM_DEVICE (source), res, &error))
		g_debug ("closing MBIM port %s: %s", self->device_path, error->message);
	g_object_unref (source);
	self->port_state = PORT_CLOSED;
	g_debug ("MBIM port %s closed", self->device_path);
	if (!g_queue_is_empty (&self->port_waiters))
		port_open_start (self);
}

/* Closes the port when no channel is open and no operation needs it. */
static void
port_release_if_idle (EsimChannelMbim *self)
{
	MbimDevice *device;

	if (self->port_state != PORT_OPEN || self->n_users > 0 || self->channels->len > 0)
		return;
	device = g_steal_pointer (&self->device);
	g_clear_signal_handler (&self->removed_id, device);
	g_clear_signal_handler (&self->error_id, device);
	self->port_state = PORT_CLOSING;
	mbim_device_close (device, PORT_CLOSE_TIMEOUT_S, NULL, port_device_closed,
	                   g_object_ref (self));
}

static void
operation_begin (EsimChannelMbim *self)
{
	self->n_users++;
}

static void
operation_end (EsimChannelMbim *self)
{
	g_return_if_fail (self->n_users > 0);
	self->n_users--;
	port_release_if_idle (self);
}

/* ------------------------------------------------------------------------ */
/* waiting for the card after a slot switch or a reset */

typedef struct {
	guint attempts;
} WaitReadyContext;

static void wait_ready_poll (GTask *task);
static gboolean wait_ready_tick (gpointer user_data);

static void
wait_ready_query_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	WaitReadyContext *ctx = g_task_get_task_data (task);
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;
	MbimSubscriberReadyState state = MBIM_SUBSCRIBER_READY_STATE_NOT_INITIALIZED;
	guint32 status = 0;

	response = command_finish (self, res, &status, &error);
	if (response == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (status == MBIM_STATUS_ERROR_NONE &&
	    !esim_mbim_uicc_parse_ready_state (response, &state, &error)) {
		g_debug ("subscriber ready status on %s: %s", self->device_path, error->message);
		g_task_return_boolean (task, TRUE);
		return;
	}
	if (status == MBIM_STATUS_ERROR_NONE && ready_state_is_settled (state)) {
		g_debug ("card on %s ready (subscriber state %u)", self->device_path, state);
		g_task_return_boolean (task, TRUE);
		return;
	}
	/* a modem without the query, or with the card still starting */
	if (status != MBIM_STATUS_ERROR_NONE && status != MBIM_STATUS_ERROR_NOT_INITIALIZED &&
	    status != MBIM_STATUS_ERROR_SIM_NOT_INSERTED && status != MBIM_STATUS_ERROR_BUSY) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	if (++ctx->attempts >= READY_POLL_ATTEMPTS) {
		/* not fatal: Open Channel tells what is wrong more precisely */
		g_debug ("card on %s still not ready after %u ms; trying anyway", self->device_path,
		         READY_POLL_ATTEMPTS * READY_POLL_INTERVAL_MS);
		g_task_return_boolean (task, TRUE);
		return;
	}
	{
		g_autoptr(GSource) source_timeout = g_timeout_source_new (READY_POLL_INTERVAL_MS);

		g_task_attach_source (task, source_timeout, wait_ready_tick);
	}
}

static void
wait_ready_poll (GTask *task)
{
	EsimChannelMbim *self = g_task_get_source_object (task);
	g_autoptr(MbimMessage) request = mbim_message_subscriber_ready_status_query_new (NULL);

	if (g_task_return_error_if_cancelled (task))
		return;
	command_async (self, request, COMMAND_TIMEOUT_S, g_task_get_cancellable (task),
	               wait_ready_query_ready, g_object_ref (task));
}

static gboolean
wait_ready_tick (gpointer user_data)
{
	wait_ready_poll (G_TASK (user_data));
	return G_SOURCE_REMOVE;
}

/* Polls the subscriber ready state until the card has come up (bounded). */
static void
wait_ready_async (EsimChannelMbim *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, wait_ready_async);
	g_task_set_task_data (task, g_new0 (WaitReadyContext, 1), g_free);
	wait_ready_poll (task);
}

static gboolean
wait_ready_finish (EsimChannelMbim *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* open: port, slot mapping, card ready, Open Channel */

typedef enum {
	OPEN_STEP_PORT,
	OPEN_STEP_SLOT_QUERY,
	OPEN_STEP_SLOT_SET,
	OPEN_STEP_WAIT_READY,
	OPEN_STEP_OPEN_CHANNEL,
	OPEN_STEP_DONE,
} OpenStep;

typedef struct {
	OpenStep step;
	GBytes  *aid;
	gint     channel;
} OpenContext;

static void
open_context_free (OpenContext *ctx)
{
	g_bytes_unref (ctx->aid);
	g_free (ctx);
}

static void open_step (GTask *task);

static void
open_fail (GTask *task, GError *error)
{
	EsimChannelMbim *self = g_task_get_source_object (task);

	/* before the unref: the task may hold the last reference to self */
	operation_end (self);
	g_task_return_error (task, error);
	g_object_unref (task);
}

static void
open_next (GTask *task, OpenStep next)
{
	OpenContext *ctx = g_task_get_task_data (task);

	ctx->step = next;
	open_step (task);
}

static void
open_port_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	GError *error = NULL;

	if (!port_acquire_finish (ESIM_CHANNEL_MBIM (source), res, &error)) {
		open_fail (task, error);
		return;
	}
	open_next (task, OPEN_STEP_SLOT_QUERY);
}

/* Common handling of Query and Set Device Slot Mappings answers. */
static void
open_slot_answer (GTask *task, GAsyncResult *res, gboolean was_set)
{
	EsimChannelMbim *self = g_task_get_source_object (task);
	g_autoptr(MbimMessage) response = NULL;
	g_autofree gchar *status_name = NULL;
	GError *error = NULL;
	guint32 status = 0, mapped = 0;

	response = command_finish (self, res, &status, &error);
	if (response == NULL) {
		open_fail (task, error);
		return;
	}
	if (status == MBIM_STATUS_ERROR_NO_DEVICE_SUPPORT) {
		/* single-slot modems (lpac#416) */
		if (self->slot == 1) {
			g_debug ("%s has no slot mapping: single-slot modem, slot 1 it is",
			         self->device_path);
			open_next (task, OPEN_STEP_OPEN_CHANNEL);
			return;
		}
		open_fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		                              "the modem at %s cannot map SIM slots "
		                              "(NoDeviceSupport): slot %u is out of reach",
		                              self->device_path, self->slot));
		return;
	}
	if (status != MBIM_STATUS_ERROR_NONE) {
		status_name = esim_mbim_uicc_status_to_string (status);
		open_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                              "%s the SIM slot mapping of %s failed (%s); if this "
		                              "modem cannot map slots, set SkipSlotMapping=true for "
		                              "it in mbim-quirks.conf",
		                              was_set ? "setting" : "reading", self->device_path,
		                              status_name));
		return;
	}
	if (!esim_mbim_uicc_parse_mapped_slot (response, &mapped, &error)) {
		g_prefix_error (&error, "slot mapping of %s: ", self->device_path);
		open_fail (task, error);
		return;
	}
	if (mapped == self->slot - 1) {
		open_next (task, was_set ? OPEN_STEP_WAIT_READY : OPEN_STEP_OPEN_CHANNEL);
		return;
	}
	if (was_set) {
		open_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                              "the modem at %s kept slot %u mapped instead of slot %u",
		                              self->device_path, mapped + 1, self->slot));
		return;
	}
	g_info ("MBIM port %s: switching from SIM slot %u to slot %u", self->device_path,
	        mapped + 1, self->slot);
	open_next (task, OPEN_STEP_SLOT_SET);
}

static void
open_slot_query_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	open_slot_answer (G_TASK (user_data), res, FALSE);
}

static void
open_slot_set_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	open_slot_answer (G_TASK (user_data), res, TRUE);
}

static void
open_wait_ready_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	GError *error = NULL;

	if (!wait_ready_finish (ESIM_CHANNEL_MBIM (source), res, &error)) {
		open_fail (task, error);
		return;
	}
	open_next (task, OPEN_STEP_OPEN_CHANNEL);
}

static GError *
open_refused_error (EsimChannelMbim *self, guint32 status)
{
	g_autofree gchar *name = esim_mbim_uicc_status_to_string (status);

	switch (status) {
	case MBIM_STATUS_ERROR_NOT_INITIALIZED:
	case MBIM_STATUS_ERROR_SIM_NOT_INSERTED:
	case MBIM_STATUS_ERROR_BUSY:
		/* transient: the card is still starting (after a reset or a switch) */
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                    "the card behind %s is not ready yet (MBIM %s)",
		                    self->device_path, name);
	case ESIM_MBIM_STATUS_SELECT_FAILED:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                    "the modem at %s could not select the ISD-R on a logical "
		                    "channel (MBIM SelectFailed); a SelectP2 entry for it in "
		                    "mbim-quirks.conf may help",
		                    self->device_path);
	case ESIM_MBIM_STATUS_NO_LOGICAL_CHANNELS:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                    "the modem at %s has no logical channel free on the eUICC "
		                    "(MBIM NoLogicalChannels)",
		                    self->device_path);
	default:
		return g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
		                    "the modem at %s refuses logical channels to the eUICC (MBIM %s)",
		                    self->device_path, name);
	}
}

static void
open_channel_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	OpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(MbimMessage) response = NULL;
	GError *error = NULL;
	guint32 status = 0, channel = 0;
	guint16 sw = 0;

	response = command_finish (self, res, &status, &error);
	if (response == NULL) {
		open_fail (task, error);
		return;
	}
	if (status != MBIM_STATUS_ERROR_NONE) {
		open_fail (task, open_refused_error (self, status));
		return;
	}
	if (!esim_mbim_uicc_parse_open_channel (response, &channel, &sw, &error)) {
		g_prefix_error (&error, "%s: Open Channel: ", self->device_path);
		/* a channel the modem named is ours to close, whatever else it said */
		if (channel >= 1 && channel <= MAX_LOGICAL_CHANNEL) {
			g_array_append_val (self->channels, channel);
			esim_channel_close_async (ESIM_CHANNEL (self), (gint) channel, NULL, NULL, NULL);
		}
		open_fail (task, error);
		return;
	}
	/* the channel counts as ours as soon as the modem names one: closed on error */
	if (channel >= 1 && channel <= MAX_LOGICAL_CHANNEL)
		g_array_append_val (self->channels, channel);
	if (!esim_apdu_check_sw (sw, &error)) {
		g_prefix_error (&error, "selecting the ISD-R through %s: ", self->device_path);
		if (channel_is_open (self, channel))
			esim_channel_close_async (ESIM_CHANNEL (self), (gint) channel, NULL, NULL, NULL);
		open_fail (task, error);
		return;
	}
	if (channel < 1 || channel > MAX_LOGICAL_CHANNEL) {
		open_fail (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		                              "the modem at %s opened logical channel %u (not 1-19)",
		                              self->device_path, channel));
		return;
	}
	ctx->channel = (gint) channel;
	g_debug ("logical channel %u open on %s (group %u)", channel, self->device_path,
	         self->quirks.channel_group);
	open_next (task, OPEN_STEP_DONE);
}

static void
open_step (GTask *task)
{
	EsimChannelMbim *self = g_task_get_source_object (task);
	OpenContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);
	g_autoptr(MbimMessage) request = NULL;
	GError *error = NULL;

	if (ctx->step != OPEN_STEP_DONE && g_cancellable_set_error_if_cancelled (cancellable, &error)) {
		open_fail (task, error);
		return;
	}
	switch (ctx->step) {
	case OPEN_STEP_PORT:
		port_acquire_async (self, open_port_ready, task);
		return;
	case OPEN_STEP_SLOT_QUERY:
		if (self->slot == 0 || self->quirks.skip_slot_mapping) {
			open_next (task, OPEN_STEP_OPEN_CHANNEL);
			return;
		}
		request = mbim_message_ms_basic_connect_extensions_device_slot_mappings_query_new (NULL);
		command_async (self, request, COMMAND_TIMEOUT_S, cancellable, open_slot_query_ready,
		               task);
		return;
	case OPEN_STEP_SLOT_SET: {
		MbimSlot wanted = { .slot = self->slot - 1 };
		const MbimSlot *map[] = { &wanted, NULL };

		request = mbim_message_ms_basic_connect_extensions_device_slot_mappings_set_new (1, map,
		                                                                                 NULL);
		command_async (self, request, COMMAND_TIMEOUT_S, cancellable, open_slot_set_ready, task);
		return;
	}
	case OPEN_STEP_WAIT_READY:
		wait_ready_async (self, cancellable, open_wait_ready_ready, task);
		return;
	case OPEN_STEP_OPEN_CHANNEL: {
		gsize aid_len = 0;
		const guint8 *aid = g_bytes_get_data (ctx->aid, &aid_len);

		request = mbim_message_ms_uicc_low_level_access_open_channel_set_new ((guint32) aid_len,
		                                                                      aid,
		                                                                      self->quirks.select_p2,
		                                                                      self->quirks.channel_group,
		                                                                      NULL);
		/* not cancellable: a channel the modem opened must not go unnoticed */
		command_async (self, request, COMMAND_TIMEOUT_S, NULL, open_channel_ready, task);
		return;
	}
	case OPEN_STEP_DONE:
		operation_end (self);
		g_task_return_int (task, ctx->channel);
		g_object_unref (task);
		return;
	}
}

static void
esim_channel_mbim_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (channel);
	GTask *task;
	OpenContext *ctx;
	gsize aid_len;

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_mbim_open_async);
	aid_len = g_bytes_get_size (aid);
	if (aid_len < 1 || aid_len > 16) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "AID of %" G_GSIZE_FORMAT " bytes (must be 1-16)", aid_len);
		g_object_unref (task);
		return;
	}
	ctx = g_new0 (OpenContext, 1);
	ctx->aid = g_bytes_ref (aid);
	ctx->channel = -1;
	ctx->step = OPEN_STEP_PORT;
	g_task_set_task_data (task, ctx, (GDestroyNotify) open_context_free);
	operation_begin (self);
	open_step (task);
}

static gint
esim_channel_mbim_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), -1);
	return (gint) g_task_propagate_int (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* transmit */

typedef struct {
	guint32 channel;
} TransmitContext;

/* lpac#438 / Hermes: some modems only return the data of a STORE DATA that
 * carries Le; ours are sent as case 3, so add Le=00 to those. */
static GBytes *
transmit_prepare_command (EsimChannelMbim *self, GBytes *command)
{
	gsize len = 0;
	const guint8 *raw = g_bytes_get_data (command, &len);
	GByteArray *with_le;

	if (!self->quirks.append_le || len < 6 || raw[1] != ESIM_INS_STORE_DATA || raw[4] == 0 ||
	    len != 5 + (gsize) raw[4])
		return g_bytes_ref (command);
	with_le = g_byte_array_sized_new (len + 1);
	g_byte_array_append (with_le, raw, len);
	g_byte_array_append (with_le, (const guint8 *) "\0", 1);
	return g_byte_array_free_to_bytes (with_le);
}

static void
transmit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	TransmitContext *ctx = g_task_get_task_data (task);
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *status_name = NULL;
	guint32 status = 0;
	GBytes *answer;

	response = command_finish (self, res, &status, &error);
	if (response == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (status == ESIM_MBIM_STATUS_INVALID_LOGICAL_CHANNEL) {
		channel_forget (self, ctx->channel);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED,
		                         "the modem at %s no longer knows logical channel %u "
		                         "(was the card reset?)",
		                         self->device_path, ctx->channel);
		port_release_if_idle (self);
		return;
	}
	if (status != MBIM_STATUS_ERROR_NONE) {
		status_name = esim_mbim_uicc_status_to_string (status);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the modem at %s failed to pass the APDU to the card (MBIM %s)",
		                         self->device_path, status_name);
		return;
	}
	answer = esim_mbim_uicc_parse_apdu (response, &error);
	if (answer == NULL) {
		g_prefix_error (&error, "%s: ", self->device_path);
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_pointer (task, answer, (GDestroyNotify) g_bytes_unref);
}

static void
esim_channel_mbim_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (channel);
	g_autoptr(GTask) task = NULL;
	g_autoptr(GBytes) apdu = NULL;
	g_autoptr(MbimMessage) request = NULL;
	TransmitContext *ctx;
	const guint8 *raw;
	gsize len = 0;

	g_return_if_fail (command != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_mbim_transmit_async);
	if (logical_channel < 0 || logical_channel > MAX_LOGICAL_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "no logical channel %d", logical_channel);
		return;
	}
	if (g_bytes_get_size (command) < 4) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "APDU of %" G_GSIZE_FORMAT " bytes (at least 4 needed)",
		                         g_bytes_get_size (command));
		return;
	}
	if (self->port_state != PORT_OPEN) {
		/* lost with the session: the command never left */
		g_task_return_error (task, self->session_lost ? session_lost_error (self) :
		                     port_gone_error (self));
		return;
	}
	ctx = g_new0 (TransmitContext, 1);
	ctx->channel = (guint32) logical_channel;
	g_task_set_task_data (task, ctx, g_free);
	apdu = transmit_prepare_command (self, command);
	raw = g_bytes_get_data (apdu, &len);
	request = mbim_message_ms_uicc_low_level_access_apdu_set_new (
		(guint32) logical_channel, MBIM_UICC_SECURE_MESSAGING_NONE,
		self->quirks.class_byte == ESIM_MBIM_CLASS_BYTE_EXTENDED ?
		MBIM_UICC_CLASS_BYTE_TYPE_EXTENDED : MBIM_UICC_CLASS_BYTE_TYPE_INTER_INDUSTRY,
		(guint32) len, raw, NULL);
	command_async (self, request, APDU_TIMEOUT_S, cancellable, transmit_ready,
	               g_steal_pointer (&task));
}

static GBytes *
esim_channel_mbim_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* close */

typedef struct {
	guint32 channel;
} CloseContext;

static void
close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	CloseContext *ctx = g_task_get_task_data (task);
	g_autoptr(MbimMessage) response = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *status_name = NULL;
	guint32 status = 0;

	response = command_finish (self, res, &status, &error);
	/* whatever the modem says, the channel is no longer ours to use */
	channel_forget (self, ctx->channel);
	if (response == NULL) {
		if (self->port_state != PORT_OPEN) {
			/* the port went away: the channel went with it */
			g_debug ("logical channel %u gone with the port %s", ctx->channel,
			         self->device_path);
			g_task_return_boolean (task, TRUE);
		} else {
			g_task_return_error (task, g_steal_pointer (&error));
		}
	} else if (status == MBIM_STATUS_ERROR_NONE || status == ESIM_MBIM_STATUS_INVALID_LOGICAL_CHANNEL) {
		/* InvalidLogicalChannel: already closed (card reset) */
		g_debug ("logical channel %u closed on %s", ctx->channel, self->device_path);
		g_task_return_boolean (task, TRUE);
	} else {
		status_name = esim_mbim_uicc_status_to_string (status);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "the modem at %s failed to close logical channel %u (MBIM %s)",
		                         self->device_path, ctx->channel, status_name);
	}
	operation_end (self);
}

static void
esim_channel_mbim_close_async (EsimChannel *channel, gint logical_channel,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autoptr(MbimMessage) request = NULL;
	CloseContext *ctx;

	g_task_set_source_tag (task, esim_channel_mbim_close_async);
	if (logical_channel < 1 || logical_channel > MAX_LOGICAL_CHANNEL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "cannot close logical channel %d", logical_channel);
		return;
	}
	if (!channel_is_open (self, (guint32) logical_channel) || self->port_state != PORT_OPEN) {
		/* never opened here, or lost with a reset or the port: nothing to free */
		channel_forget (self, (guint32) logical_channel);
		g_task_return_boolean (task, TRUE);
		port_release_if_idle (self);
		return;
	}
	ctx = g_new0 (CloseContext, 1);
	ctx->channel = (guint32) logical_channel;
	g_task_set_task_data (task, ctx, g_free);
	operation_begin (self);
	request = mbim_message_ms_uicc_low_level_access_close_channel_set_new (ctx->channel,
	                                                                        self->quirks.channel_group,
	                                                                        NULL);
	/* not cancellable: a half-closed channel would leak in the modem */
	command_async (self, request, COMMAND_TIMEOUT_S, NULL, close_ready, g_steal_pointer (&task));
}

static gboolean
esim_channel_mbim_close_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* reset: MS UICC Reset, then wait for the card */

static void
reset_finish_task (GTask *task, GError *error)
{
	EsimChannelMbim *self = g_task_get_source_object (task);

	operation_end (self);
	if (error != NULL)
		g_task_return_error (task, error);
	else
		g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

static void
reset_wait_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GError *error = NULL;

	wait_ready_finish (ESIM_CHANNEL_MBIM (source), res, &error);
	reset_finish_task (G_TASK (user_data), error);
}

static void
reset_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	g_autoptr(MbimMessage) response = NULL;
	g_autofree gchar *status_name = NULL;
	GError *error = NULL;
	guint32 status = 0;

	response = command_finish (self, res, &status, &error);
	if (response == NULL) {
		reset_finish_task (task, error);
		return;
	}
	if (status == MBIM_STATUS_ERROR_NO_DEVICE_SUPPORT) {
		reset_finish_task (task, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		                                      "the modem at %s cannot reset the card "
		                                      "(MS UICC Reset: NoDeviceSupport)",
		                                      self->device_path));
		return;
	}
	if (status != MBIM_STATUS_ERROR_NONE) {
		status_name = esim_mbim_uicc_status_to_string (status);
		reset_finish_task (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                                      "the modem at %s failed to reset the card "
		                                      "(MBIM %s)",
		                                      self->device_path, status_name));
		return;
	}
	g_info ("card behind %s reset; %u logical channel(s) gone", self->device_path,
	        self->channels->len);
	g_array_set_size (self->channels, 0);
	wait_ready_async (self, g_task_get_cancellable (task), reset_wait_ready, task);
}

static void
reset_port_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (source);
	g_autoptr(MbimMessage) request = NULL;
	GError *error = NULL;

	if (!port_acquire_finish (self, res, &error)) {
		reset_finish_task (task, error);
		return;
	}
	request = mbim_message_ms_uicc_low_level_access_reset_set_new (
		MBIM_UICC_PASS_THROUGH_ACTION_DISABLE, NULL);
	/* not cancellable: once asked, the modem resets anyway */
	command_async (self, request, COMMAND_TIMEOUT_S, NULL, reset_done, task);
}

static void
esim_channel_mbim_reset_card_async (EsimChannel *channel, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (channel);
	GTask *task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, esim_channel_mbim_reset_card_async);
	operation_begin (self);
	port_acquire_async (self, reset_port_ready, task);
}

static gboolean
esim_channel_mbim_reset_card_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */

static const gchar *
esim_channel_mbim_get_transport (EsimChannel *channel)
{
	return "mbim";
}

static void
esim_channel_mbim_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = esim_channel_mbim_get_transport;
	iface->open_async = esim_channel_mbim_open_async;
	iface->open_finish = esim_channel_mbim_open_finish;
	iface->transmit_async = esim_channel_mbim_transmit_async;
	iface->transmit_finish = esim_channel_mbim_transmit_finish;
	iface->close_async = esim_channel_mbim_close_async;
	iface->close_finish = esim_channel_mbim_close_finish;
	iface->reset_card_async = esim_channel_mbim_reset_card_async;
	iface->reset_card_finish = esim_channel_mbim_reset_card_finish;
}

static void
esim_channel_mbim_dispose (GObject *object)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (object);

	/* every operation holds a reference: nothing is in flight here, but
	 * channels may still be open; free them in the modem without us */
	if (self->device != NULL) {
		g_clear_signal_handler (&self->removed_id, self->device);
		g_clear_signal_handler (&self->error_id, self->device);
		if (self->port_state == PORT_OPEN) {
			Teardown *teardown = g_new0 (Teardown, 1);

			teardown->device = g_steal_pointer (&self->device);
			teardown->channels = g_array_copy (self->channels);
			teardown->channel_group = self->quirks.channel_group;
			g_array_set_size (self->channels, 0);
			if (teardown->channels->len > 0)
				g_debug ("releasing %u logical channel(s) on %s", teardown->channels->len,
				         self->device_path);
			teardown_next (teardown);
		}
		g_clear_object (&self->device);
		self->port_state = PORT_CLOSED;
	}
	port_release_dropped (self);
	G_OBJECT_CLASS (esim_channel_mbim_parent_class)->dispose (object);
}

static void
esim_channel_mbim_finalize (GObject *object)
{
	EsimChannelMbim *self = ESIM_CHANNEL_MBIM (object);

	g_free (self->device_path);
	g_ptr_array_unref (self->in_flight);
	g_array_unref (self->channels);
	G_OBJECT_CLASS (esim_channel_mbim_parent_class)->finalize (object);
}

static void
esim_channel_mbim_class_init (EsimChannelMbimClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_channel_mbim_dispose;
	object_class->finalize = esim_channel_mbim_finalize;
}

static void
esim_channel_mbim_init (EsimChannelMbim *self)
{
	g_queue_init (&self->port_waiters);
	self->in_flight = g_ptr_array_new ();
	self->channels = g_array_new (FALSE, FALSE, sizeof (guint32));
	esim_mbim_quirks_init (&self->quirks);
}

EsimChannelMbim *
esim_channel_mbim_new (const gchar *device_path, guint slot, const EsimMbimQuirks *quirks,
                       EsimChannelMbimFlags flags)
{
	EsimChannelMbim *self;

	g_return_val_if_fail (device_path != NULL && *device_path != '\0', NULL);

	self = g_object_new (ESIM_TYPE_CHANNEL_MBIM, NULL);
	self->device_path = g_strdup (device_path);
	self->slot = slot;
	self->flags = flags;
	if (quirks != NULL)
		self->quirks = *quirks;
	return self;
}

const gchar *
esim_channel_mbim_get_device_path (EsimChannelMbim *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_MBIM (self), NULL);
	return self->device_path;
}

guint
esim_channel_mbim_get_slot (EsimChannelMbim *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_MBIM (self), 0);
	return self->slot;
}

const EsimMbimQuirks *
esim_channel_mbim_get_quirks (EsimChannelMbim *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_MBIM (self), NULL);
	return &self->quirks;
}

guint
esim_channel_mbim_get_n_open_channels (EsimChannelMbim *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_MBIM (self), 0);
	return self->channels->len;
}

gboolean
esim_channel_mbim_is_port_open (EsimChannelMbim *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_MBIM (self), FALSE);
	return self->port_state != PORT_CLOSED;
}
