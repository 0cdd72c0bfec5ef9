/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esimd-auth.h"
#include "esimd-eim.h"
#include "esimd-error.h"
#include "esimd-euicc-dbus.h"
#include "esimd-log.h"

/* A method call waiting for polkit. */
typedef struct {
	EsimdEuicc            *euicc;
	GDBusMethodInvocation *invocation;
	EsimdOpKind            kind;
	gchar                 *iccid;
	GVariant              *arg;
} DbusCall;

static void
dbus_call_free (DbusCall *call)
{
	g_object_unref (call->euicc);
	g_object_unref (call->invocation);
	g_free (call->iccid);
	g_clear_pointer (&call->arg, g_variant_unref);
	g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbusCall, dbus_call_free)

/* The polkit action that guards @kind; NULL: reading, free for everyone. */
static const gchar *
dbus_action_of (EsimdOpKind kind)
{
	switch (kind) {
	case ESIMD_OP_ENABLE_PROFILE:
	case ESIMD_OP_DISABLE_PROFILE:
	case ESIMD_OP_DELETE_PROFILE:
	case ESIMD_OP_SET_NICKNAME:
	case ESIMD_OP_REMOVE_NOTIFICATION:
	case ESIMD_OP_PROCESS_NOTIFICATIONS:
		return ESIMD_AUTH_MANAGE_PROFILES;
	case ESIMD_OP_ADD_INITIAL_EIM:
		return ESIMD_AUTH_CONFIGURE_EIM;
	case ESIMD_OP_MEMORY_RESET:
		return ESIMD_AUTH_RESET;
	case ESIMD_OP_DOWNLOAD_PROFILE:
		return ESIMD_AUTH_DOWNLOAD;
	case ESIMD_OP_POLL:
		return ESIMD_AUTH_POLL;
	case ESIMD_OP_LIST_NOTIFICATIONS:
		return NULL;
	}
	/* not a known operation (-Wswitch names a new one missing above): not free */
	return ESIMD_AUTH_RESET;
}

/* The request's answer goes to the caller. */
static void
dbus_request_done (EsimdRequest *request, const GError *error, GVariant *reply,
                   gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;

	if (error != NULL)
		esimd_error_return (invocation, error);
	else if (reply != NULL)
		g_dbus_method_invocation_return_value (invocation, g_variant_new_tuple (&reply, 1));
	else
		g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
dbus_call_auth_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(DbusCall) call = user_data;
	g_autoptr(GError) error = NULL;
	EsimdRequest *request;

	/* not authorised: refused like a request the queue refuses, LastError untouched */
	if (!esimd_auth_check_finish (ESIMD_AUTH (source), res, &error)) {
		g_autoptr(GError) normalized = esimd_error_normalize (error);

		esimd_obj_debug (esimd_euicc_get_log_id (call->euicc), "%s refused: %s",
		                 esimd_op_get_name (call->kind), normalized->message);
		g_dbus_method_invocation_return_gerror (call->invocation, normalized);
		return;
	}
	request = esimd_request_new (call->euicc, call->kind, call->iccid, call->arg,
	                             dbus_request_done, g_object_ref (call->invocation));
	esimd_euicc_submit_request (call->euicc, request);
}

void
esimd_euicc_dbus_submit (EsimdEuicc *euicc,
                         GDBusMethodInvocation *invocation,
                         EsimdOpKind kind,
                         const gchar *iccid,
                         GVariant *arg)
{
	DbusCall *call;

	g_return_if_fail (ESIMD_IS_EUICC (euicc));
	g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));

	call = g_new0 (DbusCall, 1);
	call->euicc = g_object_ref (euicc);
	call->invocation = g_object_ref (invocation);
	call->kind = kind;
	call->iccid = g_strdup (iccid);
	call->arg = arg != NULL ? g_variant_ref_sink (arg) : NULL;
	esimd_obj_debug (esimd_euicc_get_log_id (euicc), "%s requested by %s",
	                 esimd_op_get_name (kind), g_dbus_method_invocation_get_sender (invocation));
	esimd_auth_check_async (esimd_euicc_get_auth (euicc), invocation, dbus_action_of (kind),
	                        NULL, dbus_call_auth_ready, call);
}

/* ---- handlers of the Euicc interface ---- */

static gboolean
handle_enable_profile (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                       const gchar *iccid, GVariant *options, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_ENABLE_PROFILE, iccid, options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_disable_profile (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                        const gchar *iccid, GVariant *options, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_DISABLE_PROFILE, iccid, options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_delete_profile (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                       const gchar *iccid, GVariant *options, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_DELETE_PROFILE, iccid, options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_nickname (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                     const gchar *iccid, const gchar *nickname, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_SET_NICKNAME, iccid,
	                         g_variant_new_string (nickname));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_add_initial_eim (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                        GVariant *config_der, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_ADD_INITIAL_EIM, NULL, config_der);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_notifications (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                           EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_LIST_NOTIFICATIONS, NULL, NULL);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove_notification (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                            guint64 seq, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_REMOVE_NOTIFICATION, NULL,
	                         g_variant_new_uint64 (seq));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_process_notifications (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                              EsimdEuicc *euicc)
{
	/* a client asks now: every notification, whatever its backoff says */
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_PROCESS_NOTIFICATIONS, NULL,
	                         g_variant_new_boolean (TRUE));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_memory_reset (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                     GVariant *options, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_MEMORY_RESET, NULL, options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The activation code is checked after polkit, with the other arguments (the request's
 * validation): an unauthorised caller learns nothing from what it sends. */
static gboolean
handle_download_profile (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation,
                         const gchar *activation_code, GVariant *options, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_DOWNLOAD_PROFILE, NULL,
	                         g_variant_new ("(s@a{sv})", activation_code, options));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Every eIM, one after the other. */
static gboolean
handle_poll (EsimdGdbusEuicc *skeleton, GDBusMethodInvocation *invocation, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_POLL, NULL, g_variant_new_string (""));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_eim_poll (EsimdGdbusEim *skeleton, GDBusMethodInvocation *invocation, EsimdEuicc *euicc)
{
	esimd_euicc_dbus_submit (euicc, invocation, ESIMD_OP_POLL, NULL,
	                         g_variant_new_string (esimd_gdbus_eim_get_eim_id (skeleton)));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
esimd_euicc_dbus_connect_eim (EsimdEuicc *euicc, EsimdEim *eim)
{
	g_return_if_fail (ESIMD_IS_EUICC (euicc));
	g_return_if_fail (ESIMD_IS_EIM (eim));

	g_signal_connect_object (esimd_eim_get_skeleton (eim), "handle-poll",
	                         G_CALLBACK (handle_eim_poll), euicc, 0);
}

void
esimd_euicc_dbus_connect (EsimdEuicc *euicc, EsimdGdbusEuicc *skeleton)
{
	const struct {
		const gchar *signal;
		GCallback    handler;
	} handlers[] = {
		{ "handle-enable-profile", G_CALLBACK (handle_enable_profile) },
		{ "handle-disable-profile", G_CALLBACK (handle_disable_profile) },
		{ "handle-delete-profile", G_CALLBACK (handle_delete_profile) },
		{ "handle-set-nickname", G_CALLBACK (handle_set_nickname) },
		{ "handle-add-initial-eim", G_CALLBACK (handle_add_initial_eim) },
		{ "handle-list-notifications", G_CALLBACK (handle_list_notifications) },
		{ "handle-remove-notification", G_CALLBACK (handle_remove_notification) },
		{ "handle-memory-reset", G_CALLBACK (handle_memory_reset) },
		{ "handle-download-profile", G_CALLBACK (handle_download_profile) },
		{ "handle-process-notifications", G_CALLBACK (handle_process_notifications) },
		{ "handle-poll", G_CALLBACK (handle_poll) },
	};

	g_return_if_fail (ESIMD_IS_EUICC (euicc));
	g_return_if_fail (ESIMD_GDBUS_IS_EUICC (skeleton));

	for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
		g_signal_connect_object (skeleton, handlers[i].signal, handlers[i].handler, euicc, 0);
}
