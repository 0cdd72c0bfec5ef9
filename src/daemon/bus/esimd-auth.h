/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Authorisation of mutating D-Bus methods with polkit.  Reading is free.
 * On the system bus every check goes to polkit and fails closed (polkit
 * unreachable or erroring = not authorised).  On a session bus (a developer's
 * own bus) and in builds without polkit every caller is allowed.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIMD_AUTH_MANAGE_PROFILES "org.freedesktop.Esimd1.manage-profiles"
#define ESIMD_AUTH_CONFIGURE_EIM   "org.freedesktop.Esimd1.configure-eim"
#define ESIMD_AUTH_RESET           "org.freedesktop.Esimd1.reset"
#define ESIMD_AUTH_DOWNLOAD        "org.freedesktop.Esimd1.download"
#define ESIMD_AUTH_SET_LOGGING     "org.freedesktop.Esimd1.set-logging"
#define ESIMD_AUTH_POLL            "org.freedesktop.Esimd1.poll"

#define ESIMD_TYPE_AUTH (esimd_auth_get_type ())
G_DECLARE_FINAL_TYPE (EsimdAuth, esimd_auth, ESIMD, AUTH, GObject)

EsimdAuth *esimd_auth_new (gboolean use_polkit);

/* @action NULL: nothing to check.  Fails with ESIMD_ERROR_UNAUTHORIZED. */
void       esimd_auth_check_async (EsimdAuth *self, GDBusMethodInvocation *invocation,
                                   const gchar *action, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean   esimd_auth_check_finish (EsimdAuth *self, GAsyncResult *res, GError **error);

G_END_DECLS
