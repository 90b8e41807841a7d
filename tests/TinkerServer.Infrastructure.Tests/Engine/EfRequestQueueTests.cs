using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Tests.Persistence;

namespace TinkerServer.Infrastructure.Tests.Engine;

public sealed class EfRequestQueueTests
{
    private const string ModelA = "s:train:0";
    private const string ModelB = "s:train:1";

    public static TheoryData<string> Providers => TestDatabase.Providers;

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_runs_requests_run_in_seq_order_whatever_their_arrival_order(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var third = await db.AddAsync(RequestKind.OptimStep, ModelA, 3);
        var first = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        var second = await db.AddAsync(RequestKind.OptimStep, ModelA, 2);

        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var claimed = await db.ClaimAsync();
            claimed.Should().ContainSingle();
            order.AddRange(claimed);
            await db.CompleteAsync(claimed);
        }

        order.Should().Equal(first.Id, second.Id, third.Id);
        (await db.ClaimAsync()).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Nothing_of_a_run_is_claimed_while_one_of_its_requests_runs_but_other_runs_proceed(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var a1 = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        var a2 = await db.AddAsync(RequestKind.OptimStep, ModelA, 2);
        var b1 = await db.AddAsync(RequestKind.OptimStep, ModelB, 1);

        (await db.ClaimAsync()).Should().Equal(a1.Id);
        (await db.ClaimAsync()).Should().Equal(b1.Id);
        (await db.ClaimAsync()).Should().BeEmpty("a1 and b1 are running");

        await db.CompleteAsync([a1.Id]);
        (await db.ClaimAsync()).Should().Equal(a2.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_request_after_a_seq_gap_is_held_until_the_gap_fills(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var second = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 2, FwdBwd("cross_entropy"));

        (await db.ClaimAsync()).Should().BeEmpty("seq 1 has not arrived");

        var first = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 1, FwdBwd("cross_entropy"));
        (await db.ClaimAsync()).Should().Equal(first.Id, second.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_held_request_runs_anyway_after_the_hold_timeout(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(o => o.SeqGapHoldTimeout = TimeSpan.FromSeconds(30), provider: provider);
        await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        await db.CompleteAsync(await db.ClaimAsync());
        var fourth = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 4, FwdBwd("cross_entropy"));

        db.Time.Advance(TimeSpan.FromSeconds(29));
        (await db.ClaimAsync()).Should().BeEmpty();

        db.Time.Advance(TimeSpan.FromSeconds(2));
        (await db.ClaimAsync()).Should().Equal(fourth.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_barrier_after_a_gap_is_not_held_because_the_sdk_never_sends_it_before_lower_seqs_are_acknowledged(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        await db.CompleteAsync(await db.ClaimAsync());

        // seq 2 (say a load_weights refused with 400 at the API) never reached the queue.
        var save = await db.AddAsync(RequestKind.SaveWeights, ModelA, 3, new SaveWeightsPayload("a", false, null));

        (await db.ClaimAsync()).Should().Equal(save.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_next_seq_after_finished_ones_runs_at_once_even_when_failed_requests_came_before(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var one = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        (await db.ClaimAsync()).Should().Equal(one.Id);
        await using (var scope = db.Scope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<IRequestQueue>();
            (await queue.FailRunningAsync([one.Id], "boom", default)).Should().Be(1);
        }

        var two = await db.AddAsync(RequestKind.OptimStep, ModelA, 2);
        (await db.ClaimAsync()).Should().Equal(two.Id);
        (await db.GetAsync(one.Id)).ErrorCategory.Should().Be(FailureCategory.Server);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Unsequenced_requests_keep_their_arrival_order_around_sequenced_ones(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var create = await db.AddAsync(RequestKind.CreateModel, ModelA, null);
        var one = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        var unload = await db.AddAsync(RequestKind.UnloadModel, ModelA, null);

        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var claimed = await db.ClaimAsync();
            order.AddRange(claimed);
            await db.CompleteAsync(claimed);
        }

        order.Should().Equal(create.Id, one.Id, unload.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Consecutive_compatible_forward_backward_requests_are_batched_up_to_the_next_barrier(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var f1 = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 1, FwdBwd("cross_entropy", ("b", 1), ("a", 2)));
        var f2 = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 2, FwdBwd("cross_entropy", ("a", 2), ("b", 1)));
        var f3 = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 3, FwdBwd("cross_entropy", ("a", 2), ("b", 1)));
        var otherLoss = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 4, FwdBwd("ppo"));
        var forwardOnly = await db.AddAsync(RequestKind.Forward, ModelA, 5, FwdBwd("ppo"));
        var optim = await db.AddAsync(RequestKind.OptimStep, ModelA, 6);
        var afterBarrier = await db.AddAsync(RequestKind.ForwardBackward, ModelA, 7, FwdBwd("ppo"));

        var items = new List<List<string>>();
        for (var i = 0; i < 5; i++)
        {
            var claimed = await db.ClaimAsync();
            items.Add(claimed);
            await db.CompleteAsync(claimed);
        }

        items.Should().BeEquivalentTo(
            new[]
            {
                new[] { f1.Id, f2.Id, f3.Id },
                [otherLoss.Id],
                [forwardOnly.Id],
                [optim.Id],
                [afterBarrier.Id],
            },
            o => o.WithStrictOrdering());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_batch_stops_at_a_seq_gap_and_at_the_batch_limit(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var f1 = await db.AddAsync(RequestKind.Forward, ModelA, 1, FwdBwd("cross_entropy"));
        var f2 = await db.AddAsync(RequestKind.Forward, ModelA, 2, FwdBwd("cross_entropy"));
        var f3 = await db.AddAsync(RequestKind.Forward, ModelA, 3, FwdBwd("cross_entropy"));
        await db.AddAsync(RequestKind.Forward, ModelA, 5, FwdBwd("cross_entropy"));

        (await db.ClaimAsync(maxBatch: 2)).Should().Equal(f1.Id, f2.Id);
        await db.CompleteAsync([f1.Id, f2.Id]);
        (await db.ClaimAsync()).Should().Equal(f3.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Samples_ignore_training_order_and_one_sampler_runs_one_item_at_a_time(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var busy = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        (await db.ClaimAsync()).Should().Equal(busy.Id);
        await db.AddAsync(RequestKind.OptimStep, ModelA, 2);
        var s1 = await db.AddAsync(RequestKind.Sample, null, 0, samplerId: "s:sample:0");
        var s2 = await db.AddAsync(RequestKind.Sample, null, 1, samplerId: "s:sample:0");
        var other = await db.AddAsync(RequestKind.Sample, null, 0, samplerId: "s:sample:1");

        (await db.ClaimAsync()).Should().Equal(s1.Id, s2.Id);
        (await db.ClaimAsync()).Should().Equal(other.Id);
        var s3 = await db.AddAsync(RequestKind.Sample, null, 2, samplerId: "s:sample:0");
        (await db.ClaimAsync()).Should().BeEmpty("the run and both samplers are busy");

        await db.CompleteAsync([s1.Id, s2.Id]);
        (await db.ClaimAsync()).Should().Equal(s3.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_oldest_runnable_head_goes_first(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var b = await db.AddAsync(RequestKind.OptimStep, ModelB, 1);
        var a = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);

        (await db.ClaimAsync()).Should().Equal(b.Id);
        (await db.ClaimAsync()).Should().Equal(a.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Requests_left_running_by_a_dead_worker_are_requeued_and_claimable_again(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var request = await db.AddAsync(RequestKind.OptimStep, ModelA, 1);
        (await db.ClaimAsync("dead")).Should().Equal(request.Id);
        (await db.GetAsync(request.Id)).ClaimedBy.Should().Be("dead");

        await using (var scope = db.Scope())
        {
            (await scope.ServiceProvider.GetRequiredService<IRequestQueue>().RequeueAbandonedAsync(default)).Should().Be(1);
        }

        var requeued = await db.GetAsync(request.Id);
        requeued.Status.Should().Be(FutureStatus.Pending);
        requeued.ClaimedBy.Should().BeNull();
        (await db.ClaimAsync("alive")).Should().Equal(request.Id);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Racing_workers_claim_every_request_exactly_once_and_keep_each_runs_order(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        const int models = 6;
        const int perModel = 12;
        for (var seq = 1; seq <= perModel; seq++)
        {
            for (var m = 0; m < models; m++)
            {
                await db.AddAsync(RequestKind.OptimStep, $"s:train:{m}", seq);
            }
        }

        var claims = new ConcurrentBag<(string Worker, string Id)>();
        var completedOrder = new ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var idle = 0;
            while (idle < 20)
            {
                var claimed = await db.ClaimAsync($"w{w}");
                if (claimed.Count == 0)
                {
                    idle++;
                    await Task.Delay(5);
                    continue;
                }

                idle = 0;
                foreach (var id in claimed)
                {
                    claims.Add(($"w{w}", id));
                    completedOrder.Enqueue(id);
                }

                await db.CompleteAsync(claimed);
            }
        }));
        await Task.WhenAll(workers);

        claims.Select(c => c.Id).Should().OnlyHaveUniqueItems().And.HaveCount(models * perModel);
        claims.Select(c => c.Worker).Distinct().Should().HaveCountGreaterThan(1, "the workers really raced");

        // Per run, seq ids completed in order.
        var seqOf = new Dictionary<string, (string Model, long Seq)>();
        await using (var scope = db.Scope())
        {
            var dbContext = scope.ServiceProvider.GetRequiredService<TinkerServer.Infrastructure.Persistence.AppDbContext>();
            foreach (var f in dbContext.Futures)
            {
                seqOf[f.Id] = (f.ModelId!, f.SeqId!.Value);
                f.Status.Should().Be(FutureStatus.Completed);
            }
        }

        foreach (var run in completedOrder.Select(id => seqOf[id]).GroupBy(x => x.Model))
        {
            run.Select(x => x.Seq).Should().BeInAscendingOrder();
        }
    }

    [Fact]
    public void The_batch_key_compares_loss_and_config_regardless_of_key_order()
    {
        EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("ppo", ("clip_low_threshold", 0.8), ("clip_high_threshold", 1.2))))
            .Should().Be(EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("ppo", ("clip_high_threshold", 1.2), ("clip_low_threshold", 0.8)))));
        EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("ppo", ("clip_low_threshold", 0.8))))
            .Should().NotBe(EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("ppo", ("clip_low_threshold", 0.9)))));
        EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("ppo")))
            .Should().NotBe(EfRequestQueue.BatchKey(FutureJson.Serialize(FwdBwd("cispo"))));
    }

    internal static ForwardBackwardPayload FwdBwd(string loss, params (string Key, double Value)[] config) =>
        new(new ForwardBackwardBatch(
            [new Datum([1, 2, 3], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts([2, 3, 4]) })],
            loss,
            config.ToDictionary(c => c.Key, c => c.Value)));
}
