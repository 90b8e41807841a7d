using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.EndToEnd;

public sealed class LifecycleTests
{
    [Fact]
    public async Task A_crash_between_staging_and_commit_leaves_no_listed_checkpoint_and_no_leftover_after_start_up()
    {
        var root = Directory.CreateTempSubdirectory("tinker-crash-").FullName;
        try
        {
            string run;
            using (var before = new RestartableFactory(root))
            {
                var seed = new Seeder(before);
                var runId = await seed.RunAsync();
                run = runId.Value;
                await seed.PendingAsync(runId, CheckpointType.Training, "interrupted");
                // What a save interrupted by a crash leaves: bytes in staging, nothing in the layout.
                var staging = Path.Combine(before.CheckpointRoot, ".staging");
                Directory.CreateDirectory(staging);
                await File.WriteAllBytesAsync(Path.Combine(staging, Guid.NewGuid().ToString("N")), new byte[1234]);
            }

            using var after = new RestartableFactory(root);
            var client = after.CreateClient();
            await client.GetAsync("/api/v1/healthz"); // start-up runs recovery

            var listed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/training_runs/{run}/checkpoints");
            listed.GetProperty("checkpoints").GetArrayLength().Should().Be(0);
            Directory.EnumerateFileSystemEntries(Path.Combine(after.CheckpointRoot, ".staging")).Should().BeEmpty();
            var status = after.WithScope(sp => sp.GetRequiredService<ICheckpointRepository>()
                .FindAsync(new CheckpointPath(Domain.TrainingRuns.TrainingRunId.Parse(run), CheckpointType.Training, CheckpointName.Parse("interrupted")), CancellationToken.None)
                .GetAwaiter().GetResult()!.Status);
            status.Should().Be(CheckpointStatus.Failed);
            (await client.DeleteAsync($"/api/v1/training_runs/{run}/checkpoints/weights/interrupted"))
                .StatusCode.Should().Be(HttpStatusCode.NoContent, "a failed checkpoint can be cleaned up");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Session_expiry_unloads_the_run_but_keeps_its_checkpoints()
    {
        using var factory = new ExpiringSessionFactory();
        var api = new TinkerTestClient(factory.CreateClient());
        var session = await api.CreateSessionAsync();

        // Heartbeats keep the session alive while the run is set up, however slow a loaded machine is.
        using var setup = new CancellationTokenSource();
        var beating = Task.Run(async () =>
        {
            while (!setup.IsCancellationRequested)
            {
                await api.Http.PostAsJsonAsync("/api/v1/session_heartbeat", new { session_id = session }, CancellationToken.None);
                await Task.Delay(200, CancellationToken.None);
            }
        });
        var model = await api.CreateModelAsync(session, 0, await api.BaseModelAsync());
        await api.ResultAsync(await api.PostAsync("/api/v1/save_weights", new { model_id = model, path = "kept", seq_id = 1, overwrite = false }));
        await setup.CancelAsync();
        await beating;

        // No heartbeat: after the timeout the maintenance pass expires the session and unloads the run.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage training;
        do
        {
            await Task.Delay(500);
            training = await api.Http.PostAsJsonAsync("/api/v1/forward_backward", new
            {
                model_id = model,
                seq_id = 2,
                forward_backward_input = new { data = TinkerTestClient.ToyBatch(), loss_fn = "cross_entropy" },
            });
        }
        while (training.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        training.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await training.DetailAsync()).Should().Contain("unloaded");
        (await api.Http.PostAsJsonAsync("/api/v1/session_heartbeat", new { session_id = session })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await api.Http.CheckpointIdsAsync(model)).Should().Equal("weights/kept");
    }

    private sealed class RestartableFactory(string root) : TinkerApiFactory(fakeTime: false, rootDirectory: root);

    private sealed class ExpiringSessionFactory : TinkerApiFactory
    {
        public ExpiringSessionFactory()
            : base(fakeTime: false)
        {
            Settings["TinkerServer:SessionTimeout"] = "00:00:02";
            Settings["TinkerServer:MaintenanceInterval"] = "00:00:00.500";
            Settings["TinkerServer:LongPollTimeout"] = "00:00:02";
        }
    }
}
