using Xunit.Abstractions;

namespace Federation.CrashTests;

public sealed class PostgresCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_rounds_on_PostgreSQL_lose_no_acknowledged_job_and_run_none_twice()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.SharedServer);
        await using var run = new CrashRun(
            new CrashScenario
            {
                Name = "postgres-kill",
                StorageArgs = ["--storage", "postgres", "--connection", database.ConnectionString],
                Seed = Seeds.Next(),
            },
            output);
        await run.RunAsync();
    }

    /// <summary>
    /// PostgreSQL stops (immediate: as a crash, or fast) and starts again under a running server, several times
    /// while clients submit; the server is never restarted for it (one kill -9 comes last, as in the other test).
    /// Clients get errors during an outage, never an acknowledgement of a job that was not committed, and the
    /// server recovers by itself.
    /// </summary>
    [Fact]
    public async Task PostgreSQL_restarted_under_a_running_server_loses_no_acknowledged_job_and_runs_none_twice()
    {
        PrivatePostgres pg;
        try
        {
            pg = await PrivatePostgres.StartAsync();
        }
        catch (Exception e)
        {
            Assert.Fail($"a private PostgreSQL instance could not be started for this test (initdb + pg_ctl as the postgres OS user): {e.Message}");
            throw;
        }

        await using (pg)
        {
            await using var database = await TestDatabase.CreateAsync(pg.ConnectionString);
            const int Rounds = 5;
            await using var run = new CrashRun(
                new CrashScenario
                {
                    Name = "postgres-restart",
                    StorageArgs = ["--storage", "postgres", "--connection", database.ConnectionString],
                    Seed = Seeds.Next(),
                    Rounds = Rounds,
                    Jobs = 800,
                    SubmitRate = 45,
                    Disrupt = async (r, round) =>
                    {
                        if (round == Rounds)
                        {
                            await r.KillAndRestartAsync(round);
                            return;
                        }

                        var mode = round % 2 == 1 ? "immediate" : "fast";
                        await r.NoteRunningAsync();
                        await pg.StopServerAsync(mode);
                        r.Log($"round {round}: PostgreSQL stopped ({mode}) with {r.Acknowledged} acknowledged");
                        await Task.Delay(TimeSpan.FromSeconds(1 + (r.Random.NextDouble() * 2)));
                        await pg.StartServerAsync();
                        r.Log($"round {round}: PostgreSQL started again");
                        if (!r.Server.IsRunning)
                        {
                            Assert.Fail("the server process exited during the PostgreSQL outage");
                        }
                    },
                },
                output);
            await run.RunAsync();
        }
    }
}
