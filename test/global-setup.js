// Says up front which optional suites will run, so a skipped MySQL or Redis suite is never a surprise.
module.exports = async () => {
  const lines = [
    `MySQL suites: ${process.env.TEST_MYSQL_URL ? `on ${new URL(process.env.TEST_MYSQL_URL).host}` : 'skipped (set TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test to run them)'}`,
    `Redis suites: ${process.env.TEST_REDIS_URL ? `on ${new URL(process.env.TEST_REDIS_URL).host}` : 'skipped (set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them)'}`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
};
