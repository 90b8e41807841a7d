using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Infrastructure.Maintenance;

namespace TinkerServer.Api.Tests.Checkpoints.DeleteCheckpoint;

public sealed class OrphanCollectionTests
{
    [Fact]
    public async Task The_maintenance_sweep_removes_artifacts_without_rows_and_keeps_listed_ones()
    {
        using var factory = new TinkerApiFactory();
        var client = factory.CreateClient();
        var seed = new Seeder(factory);
        var run = await seed.RunAsync();
        await seed.CompletedAsync(run, CheckpointType.Training, "kept");
        // What a delete leaves when the file removal fails after the row is gone: an artifact nobody lists.
        var orphan = new CheckpointPath(run, CheckpointType.Sampler, CheckpointName.Parse("orphan"));
        await factory.WithScopeAsync(async sp =>
        {
            await using var staged = await sp.GetRequiredService<IArtifactStorage>().BeginWriteAsync(orphan, CancellationToken.None);
            await staged.Content.WriteAsync(new byte[100]);
            await staged.CommitAsync(overwrite: false, CancellationToken.None);
        });

        factory.Time.Advance(TimeSpan.FromHours(2));
        var maintenance = factory.Services.GetServices<IHostedService>().OfType<MaintenanceService>().Single();
        await maintenance.RunOnceAsync(CancellationToken.None);

        (await seed.ArtifactAsync(run, CheckpointType.Sampler, "orphan")).Should().BeNull();
        (await seed.ArtifactAsync(run, CheckpointType.Training, "kept")).Should().NotBeNull();
        (await client.CheckpointIdsAsync(run)).Should().Equal("weights/kept");
    }
}
