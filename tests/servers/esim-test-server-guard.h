/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Teardown of an in-process HTTPS SoupServer that never waits on a client.
 *
 *   esim_test_server_guard_attach (server);       // right after soup_server_new ()
 *   …
 *   esim_test_server_guard_disconnect (server);   // instead of soup_server_disconnect ()
 *
 * Why, and what it relies on, is in esim-test-server-guard.c.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void       esim_test_server_guard_attach (SoupServer *server);
void       esim_test_server_guard_disconnect (SoupServer *server);
GPtrArray *esim_test_server_guard_dup_sockets (SoupServer *server);

G_END_DECLS
