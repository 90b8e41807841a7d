using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Tests.Persistence;

/// <summary>Every repository behaviour, on SQLite and (when configured) on PostgreSQL.</summary>
public sealed class RepositoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    public static TheoryData<string> Providers => TestDatabase.Providers;

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Training_run_round_trips_with_every_field(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var sessionId = SessionId.Parse("3f2c-9a:sess:1");
        var runId = TrainingRunId.ForSession(sessionId, 7);
        var lora = LoraConfig.Create(16, 42, trainAttn: true, trainMlp: false, trainUnembed: true, alpha: 8.5);
        using (var scope = db.Scope())
        {
            scope.Runs.Add(TrainingRun.Create(runId, sessionId, "Qwen/Qwen3-0.6B", lora, "alice", T0,
                new Dictionary<string, string> { ["purpose"] = "test", ["ünïcode"] = "✓ \"quoted\"" }));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var run = await scope.Runs.FindAsync(runId, None);
            run.Should().NotBeNull();
            run!.Id.Value.Should().Be("3f2c-9a:sess:1:train:7");
            run.SessionId.Should().Be(sessionId);
            run.BaseModel.Should().Be("Qwen/Qwen3-0.6B");
            run.Lora.Should().Be(lora);
            run.Owner.Should().Be("alice");
            run.Status.Should().Be(TrainingRunStatus.Active);
            run.CreatedAt.Should().Be(T0);
            run.LastRequestTime.Should().Be(T0);
            run.UserMetadata.Should().BeEquivalentTo(new Dictionary<string, string> { ["purpose"] = "test", ["ünïcode"] = "✓ \"quoted\"" });

            // Updates of private setters are detected and saved.
            run.RecordRequest(T0.AddMinutes(5));
            run.Unload();
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var run = await scope.Runs.FindAsync(runId, None);
            run!.Status.Should().Be(TrainingRunStatus.Unloaded);
            run.LastRequestTime.Should().Be(T0.AddMinutes(5));
            (await scope.Runs.FindAsync(TrainingRunId.Parse("other"), None)).Should().BeNull();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Training_run_without_session_or_metadata_round_trips(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("plain-run");
        using (var scope = db.Scope())
        {
            scope.Runs.Add(TrainingRun.Create(runId, null, "base", LoraConfig.Create(1, -3), "", T0));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var run = await scope.Runs.FindAsync(runId, None);
            run!.SessionId.Should().BeNull();
            run.UserMetadata.Should().BeEmpty();
            run.Lora.Should().Be(LoraConfig.Create(1, -3));
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Session_round_trips_and_updates(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var id = SessionId.Parse("hosted:session:0001");
        using (var scope = db.Scope())
        {
            scope.Sessions.Add(Session.Start(id, "bob", T0, "0.6.0", ["a", "b b", "a"], new Dictionary<string, string> { ["k"] = "v" }));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var session = await scope.Sessions.FindAsync(id, None);
            session!.Id.Should().Be(id);
            session.Owner.Should().Be("bob");
            session.SdkVersion.Should().Be("0.6.0");
            session.Tags.Should().Equal("a", "b b", "a");
            session.UserMetadata.Should().BeEquivalentTo(new Dictionary<string, string> { ["k"] = "v" });
            session.Status.Should().Be(SessionStatus.Active);
            session.Heartbeat(T0.AddSeconds(30));
            session.Expire();
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var session = await scope.Sessions.FindAsync(id, None);
            session!.Status.Should().Be(SessionStatus.Expired);
            session.LastHeartbeatAt.Should().Be(T0.AddSeconds(30));
            session.CreatedAt.Should().Be(T0);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Checkpoint_round_trips_through_its_lifecycle(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("abc:train:0");
        await AddRunAsync(db, runId, "alice");
        var path = new CheckpointPath(runId, CheckpointType.Sampler, CheckpointName.Parse("step_100"));
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Checkpoint.CreatePending(path, T0, ttlSeconds: 3600));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var pending = await scope.Checkpoints.FindAsync(path, None);
            pending!.Status.Should().Be(CheckpointStatus.Pending);
            pending.Path.Should().Be(path);
            pending.TtlSeconds.Should().Be(3600);
            pending.CompletedAt.Should().BeNull();
            pending.Complete(1234, T0.AddSeconds(10));
            pending.Publish();
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var done = await scope.Checkpoints.FindAsync(path, None);
            done!.Status.Should().Be(CheckpointStatus.Completed);
            done.SizeBytes.Should().Be(1234);
            done.IsPublic.Should().BeTrue();
            done.CreatedAt.Should().Be(T0);
            done.CompletedAt.Should().Be(T0.AddSeconds(10));
            done.ExpiresAt.Should().Be(T0.AddSeconds(3610));
            done.Error.Should().BeNull();

            // Same run and name, other type: a different checkpoint.
            (await scope.Checkpoints.FindAsync(new CheckpointPath(runId, CheckpointType.Training, path.Name), None)).Should().BeNull();
        }

        var failedPath = new CheckpointPath(runId, CheckpointType.Training, CheckpointName.Parse("broken"));
        using (var scope = db.Scope())
        {
            var failed = Checkpoint.CreatePending(failedPath, T0);
            failed.Fail("disk full", T0.AddSeconds(1));
            scope.Checkpoints.Add(failed);
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var failed = await scope.Checkpoints.FindAsync(failedPath, None);
            failed!.Status.Should().Be(CheckpointStatus.Failed);
            failed.Error.Should().Be("disk full");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Instants_with_other_offsets_compare_and_order_as_instants(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("offsets");
        await AddRunAsync(db, runId, "alice");
        var plus2 = TimeSpan.FromHours(2);

        // 13:30+02:00 is 11:30Z: earlier than "b" at 12:00Z although its local clock reads later.
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "a", new DateTimeOffset(2026, 3, 1, 13, 30, 0, plus2)));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "b", T0));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var list = await scope.Checkpoints.ListVisibleByRunAsync(runId, T0.AddHours(1), None);
            Names(list).Should().Equal("b", "a");
            list[1].CompletedAt.Should().Be(new DateTimeOffset(2026, 3, 1, 11, 30, 0, TimeSpan.Zero));
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Visible_checkpoints_of_a_run_are_completed_unexpired_and_newest_first(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("r:1");
        var otherRun = TrainingRunId.Parse("r:2");
        await AddRunAsync(db, runId, "alice");
        await AddRunAsync(db, otherRun, "alice");
        var now = T0.AddHours(10);
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "old", T0));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Sampler, "new", T0.AddHours(2)));
            // Same completion time: ordered by name.
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "tie_b", T0.AddHours(1)));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "tie_a", T0.AddHours(1)));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "expires_later", T0.AddHours(3), ttlSeconds: 8 * 3600));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "expired", T0.AddHours(4), ttlSeconds: 3600));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "expires_now", T0.AddHours(9), ttlSeconds: 3600));
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(runId, CheckpointType.Training, "pending"), T0.AddHours(5)));
            var failed = Checkpoint.CreatePending(Path(runId, CheckpointType.Training, "failed"), T0.AddHours(5));
            failed.Fail("boom", T0.AddHours(6));
            scope.Checkpoints.Add(failed);
            scope.Checkpoints.Add(Completed(otherRun, CheckpointType.Training, "other_run", T0.AddHours(7)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var list = await scope.Checkpoints.ListVisibleByRunAsync(runId, now, None);
            Names(list).Should().Equal("expires_later", "new", "tie_a", "tie_b", "old");

            // Before the expiry the expiring ones are still visible.
            var earlier = await scope.Checkpoints.ListVisibleByRunAsync(runId, T0.AddHours(4).AddMinutes(30), None);
            Names(earlier).Should().Equal("expires_now", "expired", "expires_later", "new", "tie_a", "tie_b", "old");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Owner_listing_pages_newest_first_with_exact_totals(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var run1 = TrainingRunId.Parse("alice:train:0");
        var run2 = TrainingRunId.Parse("alice:train:1");
        var bobs = TrainingRunId.Parse("bob:train:0");
        await AddRunAsync(db, run1, "alice");
        await AddRunAsync(db, run2, "alice");
        await AddRunAsync(db, bobs, "bob");
        using (var scope = db.Scope())
        {
            for (var i = 0; i < 7; i++)
            {
                var run = i % 2 == 0 ? run1 : run2;
                scope.Checkpoints.Add(Completed(run, i % 3 == 0 ? CheckpointType.Sampler : CheckpointType.Training, $"c{i}", T0.AddMinutes(i)));
            }

            scope.Checkpoints.Add(Completed(bobs, CheckpointType.Training, "bobs", T0.AddMinutes(100)));
            scope.Checkpoints.Add(Completed(run1, CheckpointType.Training, "gone", T0, ttlSeconds: 60));
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(run2, CheckpointType.Training, "wip"), T0.AddMinutes(50)));
            await scope.SaveAsync();
        }

        var now = T0.AddHours(1);
        using (var scope = db.Scope())
        {
            var first = await scope.Checkpoints.ListVisibleAsync("alice", 0, 3, now, None);
            first.TotalCount.Should().Be(7);
            Names(first.Items).Should().Equal("c6", "c5", "c4");

            var second = await scope.Checkpoints.ListVisibleAsync("alice", 3, 3, now, None);
            second.TotalCount.Should().Be(7);
            Names(second.Items).Should().Equal("c3", "c2", "c1");

            var last = await scope.Checkpoints.ListVisibleAsync("alice", 6, 3, now, None);
            Names(last.Items).Should().Equal("c0");

            var beyond = await scope.Checkpoints.ListVisibleAsync("alice", 50, 3, now, None);
            beyond.Items.Should().BeEmpty();
            beyond.TotalCount.Should().Be(7);

            var bob = await scope.Checkpoints.ListVisibleAsync("bob", 0, 10, now, None);
            Names(bob.Items).Should().Equal("bobs");
            bob.TotalCount.Should().Be(1);

            (await scope.Checkpoints.ListVisibleAsync("nobody", 0, 10, now, None)).TotalCount.Should().Be(0);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Latest_visible_checkpoint_per_run_and_type(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var run1 = TrainingRunId.Parse("x:train:0");
        var run2 = TrainingRunId.Parse("x:train:1");
        var run3 = TrainingRunId.Parse("x:train:2");
        foreach (var run in new[] { run1, run2, run3 })
        {
            await AddRunAsync(db, run, "alice");
        }

        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Completed(run1, CheckpointType.Training, "t_old", T0));
            scope.Checkpoints.Add(Completed(run1, CheckpointType.Training, "t_new", T0.AddMinutes(2)));
            scope.Checkpoints.Add(Completed(run1, CheckpointType.Training, "t_expired", T0.AddMinutes(3), ttlSeconds: 60));
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(run1, CheckpointType.Training, "t_pending"), T0.AddMinutes(4)));
            scope.Checkpoints.Add(Completed(run1, CheckpointType.Sampler, "s_only", T0.AddMinutes(1)));
            scope.Checkpoints.Add(Completed(run2, CheckpointType.Sampler, "s_a", T0.AddMinutes(5)));
            scope.Checkpoints.Add(Completed(run2, CheckpointType.Sampler, "s_b", T0.AddMinutes(6)));
            scope.Checkpoints.Add(Completed(run3, CheckpointType.Training, "not_asked", T0.AddMinutes(7)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var latest = await scope.Checkpoints.ListLatestVisibleAsync([run1, run2], T0.AddMinutes(30), None);
            latest.Select(c => c.Path.ToString()).Should().BeEquivalentTo(
                Path(run1, CheckpointType.Training, "t_new").ToString(),
                Path(run1, CheckpointType.Sampler, "s_only").ToString(),
                Path(run2, CheckpointType.Sampler, "s_b").ToString());

            (await scope.Checkpoints.ListLatestVisibleAsync([], T0, None)).Should().BeEmpty();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Pending_and_expired_listings(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("sweep");
        await AddRunAsync(db, runId, "alice");
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(runId, CheckpointType.Training, "p2"), T0.AddMinutes(2)));
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(runId, CheckpointType.Sampler, "p1"), T0.AddMinutes(1)));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "e_late", T0, ttlSeconds: 300));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "e_early", T0, ttlSeconds: 100));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "e_exact", T0, ttlSeconds: 600));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "e_future", T0, ttlSeconds: 601));
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "forever", T0));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            Names(await scope.Checkpoints.ListPendingAsync(None)).Should().Equal("p1", "p2");
            var now = T0.AddSeconds(600);
            Names(await scope.Checkpoints.ListExpiredAsync(now, 10, None)).Should().Equal("e_early", "e_late", "e_exact");
            Names(await scope.Checkpoints.ListExpiredAsync(now, 2, None)).Should().Equal("e_early", "e_late");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Training_runs_list_most_recently_used_first_with_totals(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        using (var scope = db.Scope())
        {
            for (var i = 0; i < 5; i++)
            {
                var run = TrainingRun.Create(TrainingRunId.Parse($"s:train:{i}"), null, "base", LoraConfig.Create(8, i), "alice", T0.AddMinutes(i));
                run.RecordRequest(T0.AddMinutes(i == 1 ? 100 : i));
                scope.Runs.Add(run);
            }

            scope.Runs.Add(TrainingRun.Create(TrainingRunId.Parse("bob:train:0"), null, "base", LoraConfig.Create(8, 0), "bob", T0.AddMinutes(500)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            var first = await scope.Runs.ListAsync("alice", 0, 2, None);
            first.TotalCount.Should().Be(5);
            first.Items.Select(r => r.Id.Value).Should().Equal("s:train:1", "s:train:4");
            var rest = await scope.Runs.ListAsync("alice", 2, 10, None);
            rest.TotalCount.Should().Be(5);
            rest.Items.Select(r => r.Id.Value).Should().Equal("s:train:3", "s:train:2", "s:train:0");
            (await scope.Runs.ListAsync("alice", 5, 10, None)).Items.Should().BeEmpty();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Sessions_list_newest_first(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        using (var scope = db.Scope())
        {
            for (var i = 0; i < 4; i++)
            {
                scope.Sessions.Add(Session.Start(SessionId.Parse($"sess-{i}"), "alice", T0.AddMinutes(i)));
            }

            scope.Sessions.Add(Session.Start(SessionId.Parse("bobs"), "bob", T0.AddMinutes(10)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            (await scope.Sessions.ListAsync("alice", 0, 3, None)).Select(s => s.Id.Value).Should().Equal("sess-3", "sess-2", "sess-1");
            (await scope.Sessions.ListAsync("alice", 3, 3, None)).Select(s => s.Id.Value).Should().Equal("sess-0");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Tombstones_answer_only_the_same_path_and_key_after_the_given_time(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("t:train:0");
        await AddRunAsync(db, runId, "alice");
        var path = Path(runId, CheckpointType.Training, "final");
        using (var scope = db.Scope())
        {
            var checkpoint = Completed(runId, CheckpointType.Training, "final", T0);
            scope.Checkpoints.Add(checkpoint);
            await scope.SaveAsync();
            scope.Checkpoints.Remove(checkpoint);
            scope.Checkpoints.AddTombstone(new CheckpointTombstone(path, "key-1", T0.AddMinutes(1)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            (await scope.Checkpoints.FindAsync(path, None)).Should().BeNull();
            (await scope.Checkpoints.HasTombstoneAsync(path, "key-1", T0, None)).Should().BeTrue();
            (await scope.Checkpoints.HasTombstoneAsync(path, "key-1", T0.AddMinutes(1), None)).Should().BeFalse();
            (await scope.Checkpoints.HasTombstoneAsync(path, "key-2", T0, None)).Should().BeFalse();
            (await scope.Checkpoints.HasTombstoneAsync(Path(runId, CheckpointType.Sampler, "final"), "key-1", T0, None)).Should().BeFalse();
            (await scope.Checkpoints.HasTombstoneAsync(Path(runId, CheckpointType.Training, "other"), "key-1", T0, None)).Should().BeFalse();

            // The path can be created and deleted again with the same key.
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "final", T0.AddMinutes(2)));
            scope.Checkpoints.AddTombstone(new CheckpointTombstone(path, "key-1", T0.AddMinutes(3)));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            (await scope.Checkpoints.FindAsync(path, None)).Should().NotBeNull();
            (await scope.Checkpoints.HasTombstoneAsync(path, "key-1", T0.AddMinutes(2), None)).Should().BeTrue();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Concurrent_deletes_of_one_checkpoint_let_exactly_one_succeed(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("c:train:0");
        await AddRunAsync(db, runId, "alice");
        var path = Path(runId, CheckpointType.Sampler, "shared");
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Sampler, "shared", T0));
            await scope.SaveAsync();
        }

        using var first = db.Scope();
        using var second = db.Scope();
        var a = await first.Checkpoints.FindAsync(path, None);
        var b = await second.Checkpoints.FindAsync(path, None);
        first.Checkpoints.Remove(a!);
        second.Checkpoints.Remove(b!);

        var results = await Task.WhenAll(CaptureAsync(first.SaveAsync), CaptureAsync(second.SaveAsync));

        results.Count(e => e is null).Should().Be(1);
        results.Single(e => e is not null).Should().BeOfType<ConcurrencyConflictException>();
        using var check = db.Scope();
        (await check.Checkpoints.FindAsync(path, None)).Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Updating_a_checkpoint_deleted_meanwhile_is_a_concurrency_conflict(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("u:train:0");
        await AddRunAsync(db, runId, "alice");
        var path = Path(runId, CheckpointType.Training, "ckpt");
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Completed(runId, CheckpointType.Training, "ckpt", T0));
            await scope.SaveAsync();
        }

        using var writer = db.Scope();
        var loaded = await writer.Checkpoints.FindAsync(path, None);
        using (var deleter = db.Scope())
        {
            deleter.Checkpoints.Remove((await deleter.Checkpoints.FindAsync(path, None))!);
            await deleter.SaveAsync();
        }

        loaded!.Publish();
        await writer.Invoking(w => w.SaveAsync()).Should().ThrowAsync<ConcurrencyConflictException>();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Duplicate_inserts_are_duplicate_key_errors(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runId = TrainingRunId.Parse("d:train:0");
        await AddRunAsync(db, runId, "alice");
        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(runId, CheckpointType.Training, "dup"), T0));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            scope.Checkpoints.Add(Checkpoint.CreatePending(Path(runId, CheckpointType.Training, "dup"), T0.AddSeconds(1)));
            await scope.Invoking(s => s.SaveAsync()).Should().ThrowAsync<DuplicateKeyException>();
        }

        using (var scope = db.Scope())
        {
            scope.Runs.Add(TrainingRun.Create(runId, null, "base", LoraConfig.Create(4, 1), "mallory", T0));
            await scope.Invoking(s => s.SaveAsync()).Should().ThrowAsync<DuplicateKeyException>();
        }

        using (var scope = db.Scope())
        {
            scope.Sessions.Add(Session.Start(SessionId.Parse("s1"), "alice", T0));
            await scope.SaveAsync();
        }

        using (var scope = db.Scope())
        {
            scope.Sessions.Add(Session.Start(SessionId.Parse("s1"), "alice", T0));
            await scope.Invoking(s => s.SaveAsync()).Should().ThrowAsync<DuplicateKeyException>();
        }
    }

    private static async Task<Exception?> CaptureAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task AddRunAsync(TestDatabase db, TrainingRunId runId, string owner)
    {
        using var scope = db.Scope();
        scope.Runs.Add(TrainingRun.Create(runId, null, "base", LoraConfig.Create(8, 0), owner, T0));
        await scope.SaveAsync();
    }

    private static CheckpointPath Path(TrainingRunId runId, CheckpointType type, string name) =>
        new(runId, type, CheckpointName.Parse(name));

    private static Checkpoint Completed(TrainingRunId runId, CheckpointType type, string name, DateTimeOffset completedAt, long? ttlSeconds = null)
    {
        var checkpoint = Checkpoint.CreatePending(Path(runId, type, name), completedAt.AddSeconds(-1), ttlSeconds);
        checkpoint.Complete(100, completedAt);
        return checkpoint;
    }

    private static IEnumerable<string> Names(IEnumerable<Checkpoint> checkpoints) => checkpoints.Select(c => c.Name.Value);
}
