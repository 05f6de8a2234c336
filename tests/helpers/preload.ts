// Tests run in UTC so ISO strings and day boundaries are stable.
process.env.TZ = "UTC";

// Every module's event types are registered, and emitting an undeclared type fails the test.
import "../../src/modules";
import { requireDeclaredEventTypes } from "../../src/modules/platform/events/types";

requireDeclaredEventTypes(true);
