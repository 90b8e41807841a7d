using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Tests.Persistence;

namespace TinkerServer.Infrastructure.Tests.Engine;

public sealed class FuturePersistenceTests
{
    public static TheoryData<string> Providers => TestDatabase.Providers;

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_future_round_trips_and_reads_are_fresh_within_one_scope(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var request = await db.AddAsync(RequestKind.OptimStep, "s:train:0", long.MaxValue);
        await using var reader = db.Scope();
        var futures = reader.ServiceProvider.GetRequiredService<IFutureRepository>();

        var first = await futures.FindAsync(request.Id, default);
        first!.Status.Should().Be(FutureStatus.Pending);
        first.SeqId.Should().Be(long.MaxValue);
        first.Payload.Should().Be(request.Payload);

        await db.ClaimAsync();
        await db.CompleteAsync([request.Id]);

        // Same scope, second read: it must see the other scope's commit.
        var second = await futures.FindAsync(request.Id, default);
        second!.Status.Should().Be(FutureStatus.Completed);
        second.Result.Should().Be("{}");
        (await futures.ListDoneAsync([request.Id, "nope"], default)).Should().Equal(request.Id);
        (await futures.FindAsync("nope", default)).Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Finished_requests_older_than_the_cut_off_are_deleted_and_the_rest_kept(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var old = await db.AddAsync(RequestKind.OptimStep, "s:train:0", 1);
        await db.ClaimAsync();
        await db.CompleteAsync([old.Id]);
        db.Time.Advance(TimeSpan.FromHours(2));
        var recent = await db.AddAsync(RequestKind.OptimStep, "s:train:1", 1);
        await db.ClaimAsync();
        await db.CompleteAsync([recent.Id]);
        var pending = await db.AddAsync(RequestKind.OptimStep, "s:train:2", 1);

        await using var scope = db.Scope();
        var futures = scope.ServiceProvider.GetRequiredService<IFutureRepository>();
        var deleted = await futures.DeleteFinishedBeforeAsync(db.Time.GetUtcNow() - TimeSpan.FromHours(1), 100, default);

        deleted.Should().Be(1);
        (await futures.FindAsync(old.Id, default)).Should().BeNull();
        (await futures.FindAsync(recent.Id, default)).Should().NotBeNull();
        (await futures.FindAsync(pending.Id, default)).Should().NotBeNull("unfinished requests are never purged");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_dedup_key_is_unique_but_requests_without_one_are_not_deduplicated(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        await AddWithKeyAsync(db, "a", "model:m:seq:1");
        await AddWithKeyAsync(db, "b", null);
        await AddWithKeyAsync(db, "c", null);

        var duplicate = () => AddWithKeyAsync(db, "d", "model:m:seq:1");

        await duplicate.Should().ThrowAsync<DuplicateKeyException>();
        await using var scope = db.Scope();
        (await scope.ServiceProvider.GetRequiredService<IFutureRepository>().FindByDedupKeyAsync("model:m:seq:1", default))!.Id.Should().Be("a");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Unfinished_requests_of_given_kinds_are_listed_for_update(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var save = await db.AddAsync(RequestKind.SaveWeights, "s:train:0", 1, new SaveWeightsPayload("a", false, null));
        await db.AddAsync(RequestKind.OptimStep, "s:train:1", 1);
        var done = await db.AddAsync(RequestKind.SaveWeights, "s:train:2", 1, new SaveWeightsPayload("b", false, null));
        await db.ClaimAsync();
        await db.ClaimAsync();
        await db.ClaimAsync();
        await db.CompleteAsync([done.Id]);

        await using (var scope = db.Scope())
        {
            var list = await scope.ServiceProvider.GetRequiredService<IFutureRepository>().ListUnfinishedAsync([RequestKind.SaveWeights], default);
            list.Select(f => f.Id).Should().Equal(save.Id);
            list[0].Fail("x", FailureCategory.Server, db.Time.GetUtcNow());
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        (await db.GetAsync(save.Id)).Status.Should().Be(FutureStatus.Failed);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Has_training_requests_ignores_create_model(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        await db.AddAsync(RequestKind.CreateModel, "s:train:0", null);
        await using var scope = db.Scope();
        var futures = scope.ServiceProvider.GetRequiredService<IFutureRepository>();
        (await futures.HasTrainingRequestsAsync("s:train:0", default)).Should().BeFalse();

        await db.AddAsync(RequestKind.ForwardBackward, "s:train:0", 1);
        (await futures.HasTrainingRequestsAsync("s:train:0", default)).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Sampling_sessions_of_every_kind_round_trip(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var session = SessionId.Parse("sess");
        var path = CheckpointPath.ParseTinkerPath("tinker://sess:train:0/sampler_weights/s1");
        var now = db.Time.GetUtcNow();
        await using (var scope = db.Scope())
        {
            var samplers = scope.ServiceProvider.GetRequiredService<ISamplingSessionRepository>();
            samplers.Add(SamplingSession.ForBaseModel("sess:sample:0", session, "tiny", now));
            samplers.Add(SamplingSession.ForCheckpoint("sess:sample:1", session, "tiny", path, now.AddSeconds(1)));
            samplers.Add(SamplingSession.Ephemeral("sess:sample:2", session, "tiny", TrainingRunId.Parse("sess:train:0"), now.AddSeconds(2)));
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        await using (var scope = db.Scope())
        {
            var samplers = scope.ServiceProvider.GetRequiredService<ISamplingSessionRepository>();
            var list = await samplers.ListBySessionAsync(session, default);
            list.Select(s => s.Id).Should().Equal("sess:sample:0", "sess:sample:1", "sess:sample:2");
            list[0].ModelPath.Should().BeNull();
            list[1].ModelPath.Should().Be(path);
            list[2].SourceModelId.Should().Be(TrainingRunId.Parse("sess:train:0"));
            (await samplers.FindAsync("sess:sample:1", default))!.BaseModel.Should().Be("tiny");
            (await samplers.FindAsync("nope", default)).Should().BeNull();
        }
    }

    private static async Task AddWithKeyAsync(EngineDatabase db, string id, string? key)
    {
        await using var scope = db.Scope();
        var json = FutureJson.Serialize(new UnloadModelPayload("m"));
        scope.ServiceProvider.GetRequiredService<IFutureRepository>()
            .Add(FutureRequest.Create(id, RequestKind.UnloadModel, "m", null, null, key, json, FutureJson.Hash(json), db.Time.GetUtcNow()));
        await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
    }
}
