using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Tests.Persistence;

namespace TinkerServer.Infrastructure.Tests.Engine;

public sealed class FutureCompletionHubTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    public static TheoryData<string> Providers => TestDatabase.Providers;

    [Fact]
    public async Task An_in_process_completion_wakes_its_waiters_without_a_query()
    {
        await using var db = await EngineDatabase.CreateAsync();
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        var first = hub.WaitAsync("r1", Long, default);
        var second = hub.WaitAsync("r1", Long, default);
        var other = hub.WaitAsync("r2", Long, default);

        hub.NotifyCompleted("r1");

        (await first.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        other.IsCompleted.Should().BeFalse();
        hub.QueryCount.Should().Be(0);
        hub.AwaitedCount.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_completion_committed_by_another_process_is_found_by_the_next_tick(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        var request = await db.AddAsync(RequestKind.OptimStep, "s:train:0", 1);
        var wait = hub.WaitAsync(request.Id, Long, default);

        await hub.PollOnceAsync(default);
        wait.IsCompleted.Should().BeFalse("the request is still pending");

        // Another process claims and completes it: nothing notifies this hub.
        await db.CompleteAsync(await db.ClaimAsync());
        await hub.PollOnceAsync(default);

        (await wait.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        hub.QueryCount.Should().Be(2);
    }

    [Fact]
    public async Task The_poll_loop_wakes_a_waiter_for_a_completion_made_by_another_process()
    {
        await using var db = await EngineDatabase.CreateAsync();
        await using var scope = db.Scope();
        var hub = new FutureCompletionHub(
            db.Services.GetRequiredService<IServiceScopeFactory>(),
            TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new Application.Common.EngineOptions { CompletionPollInterval = TimeSpan.FromMilliseconds(100) }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<FutureCompletionHub>.Instance);
        var request = await db.AddAsync(RequestKind.OptimStep, "s:train:0", 1);
        var wait = hub.WaitAsync(request.Id, Long, default);
        using var stop = new CancellationTokenSource();
        var loop = hub.RunPollLoopAsync(stop.Token);
        await db.ClaimAsync();

        // No in-process notification: only the shared poll can find this commit. How fast it does is measured by
        // bench/FutureWaiters, not asserted here (timings in unit tests fail on loaded machines).
        await db.CompleteAsync([request.Id]);
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the poll loop found the completion long before the waiter's own timeout");
        hub.QueryCount.Should().BePositive();

        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task Two_thousand_waiters_cost_one_query_per_tick_and_none_without_waiters()
    {
        await using var db = await EngineDatabase.CreateAsync();
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await db.AddAsync(RequestKind.OptimStep, $"s:train:{i}", 1)).Id);
        }

        await hub.PollOnceAsync(default);
        hub.QueryCount.Should().Be(0, "nobody waits");

        // 2000 polls: 100 per request, as thousands of clients re-polling the same futures would.
        var waits = Enumerable.Range(0, 2000).Select(i => hub.WaitAsync(ids[i % ids.Count], Long, default)).ToList();
        for (var tick = 0; tick < 3; tick++)
        {
            await hub.PollOnceAsync(default);
        }

        hub.QueryCount.Should().Be(3);
        waits.Should().OnlyContain(w => !w.IsCompleted);

        for (var i = 0; i < 10; i++)
        {
            await db.CompleteAsync(await db.ClaimAsync());
        }

        await hub.PollOnceAsync(default);
        hub.QueryCount.Should().Be(4);
        var results = await Task.WhenAll(waits.Where((_, i) => i % ids.Count < 10)).WaitAsync(TimeSpan.FromSeconds(10));
        results.Should().HaveCount(1000).And.OnlyContain(done => done);
        waits.Where((_, i) => i % ids.Count >= 10).Should().OnlyContain(w => !w.IsCompleted);
        hub.AwaitedCount.Should().Be(10);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Two_thousand_distinct_futures_are_checked_in_one_query(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        var waits = Enumerable.Range(0, 2000).Select(i => hub.WaitAsync($"missing-{i}", Long, default)).ToList();
        var request = await db.AddAsync(RequestKind.OptimStep, "s:train:0", 1);
        var last = hub.WaitAsync(request.Id, Long, default);
        await db.CompleteAsync(await db.ClaimAsync());

        await hub.PollOnceAsync(default);

        (await last.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        hub.QueryCount.Should().Be(1);
        waits.Should().OnlyContain(w => !w.IsCompleted);
    }

    [Fact]
    public async Task A_wait_times_out_with_false_and_stops_being_polled()
    {
        await using var db = await EngineDatabase.CreateAsync();
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        var wait = hub.WaitAsync("r1", TimeSpan.FromSeconds(30), default);
        hub.AwaitedCount.Should().Be(1);

        db.Time.Advance(TimeSpan.FromSeconds(31));

        (await wait.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeFalse();
        hub.AwaitedCount.Should().Be(0);
        await hub.PollOnceAsync(default);
        hub.QueryCount.Should().Be(0);
    }

    [Fact]
    public async Task A_poll_registering_just_after_the_completion_notice_is_answered_at_once()
    {
        await using var db = await EngineDatabase.CreateAsync();
        var hub = db.Services.GetRequiredService<IFutureCompletionHub>();

        hub.NotifyCompleted("r1");

        (await hub.WaitAsync("r1", Long, default).WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_unregisters()
    {
        await using var db = await EngineDatabase.CreateAsync();
        var hub = db.Services.GetRequiredService<FutureCompletionHub>();
        using var cancel = new CancellationTokenSource();
        var wait = hub.WaitAsync("r1", Long, cancel.Token);

        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => wait).Should().ThrowAsync<OperationCanceledException>();
        hub.AwaitedCount.Should().Be(0);
    }
}
