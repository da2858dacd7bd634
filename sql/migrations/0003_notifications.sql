-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0003: the notification queue the guide's responses write to (notifications.queue, which
-- the guide uses but never creates). Rows are messages waiting for a sender (mail, chat,
-- the SIEM); edgewardd adds its alerts here too.

CREATE SCHEMA notifications;
REVOKE ALL ON SCHEMA notifications FROM PUBLIC;

CREATE TABLE notifications.queue (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	-- 'role': everyone holding an RBAC role (recipient_id its rbac.roles id when it
	-- exists, recipient_name its name in any case); 'user': a shared.users id;
	-- 'email': an address in recipient_name.
	recipient_type text NOT NULL CHECK (recipient_type IN ('role', 'user', 'email')),
	recipient_id uuid,
	recipient_name text,
	subject text NOT NULL,
	message text NOT NULL,
	event_id uuid,			-- the audit.security_events row it is about, if any
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz,
	CHECK (recipient_id IS NOT NULL OR recipient_name IS NOT NULL)
);
-- What a sender polls: the pending messages, oldest first.
CREATE INDEX queue_pending ON notifications.queue (created_at) WHERE status = 'pending';

GRANT USAGE ON SCHEMA notifications TO edgeward_controller;
GRANT INSERT ON notifications.queue TO edgeward_controller;
