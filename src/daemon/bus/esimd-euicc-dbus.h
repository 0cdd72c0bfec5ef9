/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus side of the eUICC queue: method calls of the Euicc and Profile
 * interfaces become requests.  Each call is checked with polkit (the
 * operation's action), then submitted to the eUICC's queue; the request's
 * callback replies to the invocation, with every error mapped onto
 * org.freedesktop.Esimd1.Error.*.  The queue itself never sees an invocation.
 */
#pragma once

#include <gio/gio.h>

#include "esimd-eim.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"

G_BEGIN_DECLS

/* Entry point of every method of the Euicc and Profile interfaces: @iccid
 * for profile operations, @arg the other argument (options a{sv}, nickname s,
 * config ay or seq t; NULL when none). */
void esimd_euicc_dbus_submit (EsimdEuicc *euicc, GDBusMethodInvocation *invocation,
                              EsimdOpKind kind, const gchar *iccid, GVariant *arg);

/* Handles the methods of @skeleton, the Euicc interface of @euicc. */
void esimd_euicc_dbus_connect (EsimdEuicc *euicc, EsimdGdbusEuicc *skeleton);
/* Handles the methods of @eim, an eIM of @euicc (Poll). */
void esimd_euicc_dbus_connect_eim (EsimdEuicc *euicc, EsimdEim *eim);

G_END_DECLS
