using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Futures.RetrieveFuture;
using TinkerServer.Application.Tests.Engine;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Tests.Futures;

public sealed class RetrieveFutureQueryTests
{
    private readonly FakeFutures _futures = new();
    private readonly ScriptedHub _hub = new();
    private readonly RetrieveFutureQueryHandler _handler;

    public RetrieveFutureQueryTests() =>
        _handler = new RetrieveFutureQueryHandler(_futures, _hub, Options.Create(new EngineOptions { LongPollTimeout = TimeSpan.FromSeconds(7) }));

    [Fact]
    public async Task An_unknown_future_is_not_found()
    {
        var act = async () => await _handler.Handle(new RetrieveFutureQuery("req_missing"), default);

        await act.Should().ThrowAsync<NotFoundException>();
    }

    [Fact]
    public async Task A_completed_future_answers_its_result_without_waiting()
    {
        var future = Request("r1");
        future.Complete("""{"model_id":"m","type":"create_model"}""", DateTimeOffset.UnixEpoch);
        _futures.Add(future);

        var outcome = await _handler.Handle(new RetrieveFutureQuery("r1"), default);

        outcome.Should().Be(new FutureCompleted("r1", RequestKind.CreateModel, """{"model_id":"m","type":"create_model"}"""));
        _hub.Waits.Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_future_answers_its_error_and_category()
    {
        var future = Request("r1");
        future.Fail("Checkpoint already exists", FailureCategory.User, DateTimeOffset.UnixEpoch);
        _futures.Add(future);

        var outcome = await _handler.Handle(new RetrieveFutureQuery("r1"), default);

        outcome.Should().Be(new FutureFailed("r1", RequestKind.CreateModel, "Checkpoint already exists", "user"));
    }

    [Fact]
    public async Task A_pending_future_waits_for_the_hub_and_reads_the_committed_outcome_again()
    {
        _futures.Add(Request("r1"));
        _hub.OnWait = () =>
        {
            // The worker commits a new row version; the handler must read it again rather than reuse its first read.
            var done = Request("r1");
            done.Complete("""{"metrics":{}}""", DateTimeOffset.UnixEpoch);
            _futures.Rows["r1"] = done;
            return true;
        };

        var outcome = await _handler.Handle(new RetrieveFutureQuery("r1"), default);

        outcome.Should().Be(new FutureCompleted("r1", RequestKind.CreateModel, """{"metrics":{}}"""));
        _hub.Waits.Should().Equal(("r1", TimeSpan.FromSeconds(7)));
        _futures.Finds.Should().Be(2);
    }

    [Fact]
    public async Task A_future_still_pending_after_the_long_poll_answers_pending()
    {
        _futures.Add(Request("r1"));
        _hub.OnWait = () => false;

        var outcome = await _handler.Handle(new RetrieveFutureQuery("r1"), default);

        outcome.Should().Be(new FuturePending("r1", RequestKind.CreateModel));
        _hub.Waits.Should().ContainSingle();
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void An_empty_request_id_is_invalid(string? id) =>
        new RetrieveFutureQueryValidator().Validate(new RetrieveFutureQuery(id!)).IsValid.Should().BeFalse();

    private static FutureRequest Request(string id) =>
        RequestExecutorTests.NewRequest(id, RequestKind.CreateModel, new UnloadModelPayload("m"), "m");

    private sealed class ScriptedHub : IFutureCompletionHub
    {
        public List<(string, TimeSpan)> Waits { get; } = [];

        public Func<bool> OnWait { get; set; } = () => false;

        public Task<bool> WaitAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Waits.Add((requestId, timeout));
            return Task.FromResult(OnWait());
        }

        public void NotifyCompleted(string requestId)
        {
        }
    }
}
