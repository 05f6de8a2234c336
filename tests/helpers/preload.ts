// Tests run in UTC so ISO strings and day boundaries are stable.
process.env.TZ = "UTC";
