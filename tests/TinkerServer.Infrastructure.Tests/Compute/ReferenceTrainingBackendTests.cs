using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class ReferenceTrainingBackendTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly BackendScope _scope = new();

    private ReferenceTrainingBackend Backend => _scope.Backend;

    public void Dispose() => _scope.Dispose();

    private static TrainingRunId Id(string v) => TrainingRunId.Parse(v);

    private static readonly int[][] Toy =
    [
        [5, 17, 29, 41, 53, 65, 77, 89, 101, 113, 125, 137, 149, 161],
        [200, 190, 180, 170, 160, 150, 140, 130, 120, 110, 100, 90],
        [7, 7, 300, 7, 7, 300, 7, 7, 300, 7, 7, 300, 7],
    ];

    private async Task<double> LossAsync(TrainingRunId id) =>
        (await Backend.ForwardAsync(id, BackendScope.CeBatch(Toy), Ct)).Metrics["loss:sum"];

    [Fact]
    public void Lists_the_built_in_model_and_the_models_directory()
    {
        Backend.BaseModels.Select(m => m.Name).Should().Equal(BuiltInModels.TinyName, BackendScope.TinyName);
        var tiny = Backend.BaseModels[1];
        tiny.VocabSize.Should().Be(512);
        tiny.TiedEmbeddings.Should().BeTrue();
        tiny.MaxContextLength.Should().Be(4096);
    }

    [Fact]
    public async Task A_new_run_computes_the_base_model_and_training_halves_the_loss_in_50_steps()
    {
        var id = Id("s:train:0");
        await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(8, 3, trainUnembed: false), Ct);
        Backend.IsLoaded(id).Should().BeTrue();

        var batch = BackendScope.CeBatch(Toy);
        var evaluator = LossEvaluator.Create(batch, _scope.Registry.Get(BackendScope.TinyName).Config);
        var baseLogprobs = Qwen3Engine.Run(_scope.Registry.Get(BackendScope.TinyName).Weights, null, evaluator.Packed, evaluator.Targets, null);
        var output = await Backend.ForwardAsync(id, batch, Ct);
        output.LossFnOutputs.SelectMany(o => o["logprobs"].Floats!).Should().Equal(baseLogprobs);

        var initial = output.Metrics["loss:sum"];
        output.Metrics["num_tokens:sum"].Should().Be(Toy.Sum(t => t.Length - 1));
        var adam = new AdamParams(LearningRate: 1e-2);
        for (var step = 0; step < 50; step++)
        {
            await Backend.ForwardBackwardAsync(id, batch, Ct);
            var metrics = (await Backend.OptimStepAsync(id, adam, Ct)).Metrics;
            metrics.Keys.Should().OnlyContain(k => k.EndsWith(":mean") || k.EndsWith(":sum") || k.EndsWith(":min") || k.EndsWith(":max"));
        }

        (await LossAsync(id)).Should().BeLessThan(initial / 2);
    }

    [Fact]
    public async Task Forward_does_not_accumulate_gradients()
    {
        var id = Id("s:train:1");
        await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(4, 1, trainUnembed: false), Ct);
        var before = await LossAsync(id);
        await Backend.ForwardAsync(id, BackendScope.CeBatch(Toy), Ct);
        var metrics = (await Backend.OptimStepAsync(id, new AdamParams(LearningRate: 1e-2), Ct)).Metrics;
        metrics["grad_norm:mean"].Should().Be(0);
        (await LossAsync(id)).Should().Be(before, "a zero-gradient Adam step without weight decay changes nothing");
    }

    [Fact]
    public async Task A_training_checkpoint_resumes_bit_for_bit_with_the_optimizer_state()
    {
        var a = Id("s:train:a");
        await Backend.CreateModelAsync(a, BackendScope.TinyName, LoraConfig.Create(8, 11, trainUnembed: false), Ct);
        var adam = new AdamParams(LearningRate: 5e-3, WeightDecay: 0.01);
        for (var i = 0; i < 3; i++)
        {
            await Backend.ForwardBackwardAsync(a, BackendScope.CeBatch(Toy), Ct);
            await Backend.OptimStepAsync(a, adam, Ct);
        }

        using var archive = new MemoryStream();
        await Backend.SaveTrainingCheckpointAsync(a, archive, Ct);
        var entries = ReadTarGz(archive.ToArray());
        entries.Keys.Should().BeEquivalentTo("adapter_model.safetensors", "adapter_config.json", "optimizer.safetensors", "tinker_checkpoint.json");
        using (var meta = JsonDocument.Parse(entries["tinker_checkpoint.json"]))
        {
            meta.RootElement.GetProperty("step").GetInt64().Should().Be(3);
            meta.RootElement.GetProperty("base_model").GetString().Should().Be(BackendScope.TinyName);
            meta.RootElement.GetProperty("lora_config").GetProperty("rank").GetInt32().Should().Be(8);
        }

        var b = Id("s:train:b");
        await Backend.CreateModelAsync(b, BackendScope.TinyName, LoraConfig.Create(8, 999, trainUnembed: false), Ct);
        (await LossAsync(b)).Should().NotBe(await LossAsync(a));
        await Backend.LoadTrainingCheckpointAsync(b, new MemoryStream(archive.ToArray()), withOptimizer: true, Ct);
        (await LossAsync(b)).Should().Be(await LossAsync(a));

        // Same optimizer state: the next step stays identical.
        foreach (var id in new[] { a, b })
        {
            await Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy), Ct);
            await Backend.OptimStepAsync(id, adam, Ct);
        }

        (await LossAsync(b)).Should().Be(await LossAsync(a));

        // Without the optimizer, Adam restarts (step 1 again), so the next step differs.
        var c = Id("s:train:c");
        await Backend.CreateModelAsync(c, BackendScope.TinyName, LoraConfig.Create(8, 5, trainUnembed: false), Ct);
        await Backend.LoadTrainingCheckpointAsync(c, new MemoryStream(archive.ToArray()), withOptimizer: false, Ct);
        var d = Id("s:train:d");
        await Backend.CreateModelAsync(d, BackendScope.TinyName, LoraConfig.Create(8, 5, trainUnembed: false), Ct);
        await Backend.LoadTrainingCheckpointAsync(d, new MemoryStream(archive.ToArray()), withOptimizer: true, Ct);
        (await LossAsync(c)).Should().Be(await LossAsync(d));
        foreach (var id in new[] { c, d })
        {
            await Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy), Ct);
            await Backend.OptimStepAsync(id, adam, Ct);
        }

        (await LossAsync(c)).Should().NotBe(await LossAsync(d));
    }

    [Fact]
    public async Task Loading_a_checkpoint_with_another_rank_is_a_user_error()
    {
        var a = Id("s:train:r8");
        await Backend.CreateModelAsync(a, BackendScope.TinyName, LoraConfig.Create(8, 1, trainUnembed: false), Ct);
        using var archive = new MemoryStream();
        await Backend.SaveTrainingCheckpointAsync(a, archive, Ct);
        var b = Id("s:train:r4");
        await Backend.CreateModelAsync(b, BackendScope.TinyName, LoraConfig.Create(4, 1, trainUnembed: false), Ct);
        var act = () => Backend.LoadTrainingCheckpointAsync(b, new MemoryStream(archive.ToArray()), true, Ct);
        await act.Should().ThrowAsync<InvalidComputeRequestException>().WithMessage("*rank*");

        var other = Id("s:train:builtin");
        await Backend.CreateModelAsync(other, BuiltInModels.TinyName, LoraConfig.Create(8, 1, trainUnembed: false), Ct);
        var wrongBase = () => Backend.LoadTrainingCheckpointAsync(other, new MemoryStream(archive.ToArray()), true, Ct);
        await wrongBase.Should().ThrowAsync<InvalidComputeRequestException>().WithMessage("*base model*");
    }

    [Fact]
    public async Task A_sampler_checkpoint_reproduces_the_runs_sampling_logprobs()
    {
        var id = Id("s:train:smp");
        await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(8, 2, trainUnembed: false), Ct);
        for (var i = 0; i < 3; i++)
        {
            await Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy), Ct);
            await Backend.OptimStepAsync(id, new AdamParams(LearningRate: 1e-2), Ct);
        }

        using var archive = new MemoryStream();
        await Backend.SaveSamplerCheckpointAsync(id, archive, Ct);
        var entries = ReadTarGz(archive.ToArray());
        entries.Keys.Should().BeEquivalentTo("adapter_model.safetensors", "adapter_config.json", "checkpoint_complete");
        entries["checkpoint_complete"].Should().BeEmpty();
        using (var cfg = JsonDocument.Parse(entries["adapter_config.json"]))
        {
            cfg.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString())
                .Should().Equal("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
            cfg.RootElement.GetProperty("r").GetInt32().Should().Be(8);
        }

        await Backend.CreateSamplerAsync("from-file", BackendScope.TinyName, new MemoryStream(archive.ToArray()), Ct);
        await Backend.CreateSamplerFromModelAsync("from-run", id, Ct);
        await Backend.CreateSamplerAsync("base", BackendScope.TinyName, null, Ct);
        var input = new SampleInput([5, 17, 29], 2, new SamplingParams(8, 42, []), true, 2);
        var fromFile = await Backend.SampleAsync("from-file", input, Ct);
        var fromRun = await Backend.SampleAsync("from-run", input, Ct);
        var fromBase = await Backend.SampleAsync("base", input, Ct);
        for (var i = 0; i < 2; i++)
        {
            fromFile.Sequences[i].Tokens.Should().Equal(fromRun.Sequences[i].Tokens);
            fromFile.Sequences[i].Logprobs.Should().Equal(fromRun.Sequences[i].Logprobs);
        }

        fromFile.PromptLogprobs.Should().Equal(fromRun.PromptLogprobs);
        fromBase.PromptLogprobs!.Skip(1).Should().NotEqual(fromRun.PromptLogprobs!.Skip(1));

        // The run's later training does not leak into its snapshot sampler.
        await Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy), Ct);
        await Backend.OptimStepAsync(id, new AdamParams(LearningRate: 1e-2), Ct);
        (await Backend.SampleAsync("from-run", input, Ct)).PromptLogprobs.Should().Equal(fromRun.PromptLogprobs);

        await Backend.ReleaseSamplerAsync("from-run", Ct);
        Backend.HasSampler("from-run").Should().BeFalse();
    }

    [Fact]
    public async Task Seeded_sampling_is_deterministic_and_sample_i_uses_seed_plus_i()
    {
        await Backend.CreateSamplerAsync("s", BackendScope.TinyName, null, Ct);
        var three = await Backend.SampleAsync("s", new SampleInput([1, 2, 3], 3, new SamplingParams(6, 100, [], Temperature: 1.0, TopK: 50, TopP: 0.95), false, 0), Ct);
        var again = await Backend.SampleAsync("s", new SampleInput([1, 2, 3], 3, new SamplingParams(6, 100, [], Temperature: 1.0, TopK: 50, TopP: 0.95), false, 0), Ct);
        var second = await Backend.SampleAsync("s", new SampleInput([1, 2, 3], 1, new SamplingParams(6, 101, [], Temperature: 1.0, TopK: 50, TopP: 0.95), false, 0), Ct);
        three.Sequences.Select(s => s.Tokens).Should().BeEquivalentTo(again.Sequences.Select(s => s.Tokens), o => o.WithStrictOrdering());
        three.Sequences[1].Tokens.Should().Equal(second.Sequences[0].Tokens);
        three.Sequences[1].Logprobs.Should().Equal(second.Sequences[0].Logprobs);
        three.Sequences.Should().OnlyContain(s => s.Tokens.Length == 6 && s.StopReason == StopReason.Length);
        three.PromptLogprobs.Should().BeNull();
        three.TopkPromptLogprobs.Should().BeNull();
    }

    [Fact]
    public async Task Stop_tokens_end_a_sequence_and_are_included()
    {
        await Backend.CreateSamplerAsync("s", BackendScope.TinyName, null, Ct);
        var greedy = await Backend.SampleAsync("s", new SampleInput([1, 2, 3], 1, new SamplingParams(5, 0, [], Temperature: 0), false, 0), Ct);
        var stopAt = greedy.Sequences[0].Tokens[2];
        var firstIndex = Array.IndexOf(greedy.Sequences[0].Tokens, stopAt);
        var stopped = await Backend.SampleAsync("s", new SampleInput([1, 2, 3], 1, new SamplingParams(5, 0, [stopAt], Temperature: 0), false, 0), Ct);
        stopped.Sequences[0].StopReason.Should().Be(StopReason.Stop);
        stopped.Sequences[0].Tokens.Should().Equal(greedy.Sequences[0].Tokens[..(firstIndex + 1)]);
        stopped.Sequences[0].Logprobs.Should().Equal(greedy.Sequences[0].Logprobs[..(firstIndex + 1)]);
    }

    [Fact]
    public async Task Top_k_1_and_a_tiny_top_p_reduce_to_greedy()
    {
        await Backend.CreateSamplerAsync("s", BackendScope.TinyName, null, Ct);
        var greedy = await Backend.SampleAsync("s", new SampleInput([9, 8, 7], 1, new SamplingParams(6, 0, [], Temperature: 0), false, 0), Ct);
        var topK = await Backend.SampleAsync("s", new SampleInput([9, 8, 7], 2, new SamplingParams(6, 3, [], Temperature: 1.5, TopK: 1), false, 0), Ct);
        var topP = await Backend.SampleAsync("s", new SampleInput([9, 8, 7], 2, new SamplingParams(6, 3, [], Temperature: 1.5, TopP: 1e-6), false, 0), Ct);
        var free = await Backend.SampleAsync("s", new SampleInput([9, 8, 7], 4, new SamplingParams(6, 3, [], Temperature: 1.5), false, 0), Ct);
        foreach (var seq in topK.Sequences.Concat(topP.Sequences))
        {
            seq.Tokens.Should().Equal(greedy.Sequences[0].Tokens);
            seq.Logprobs.Should().Equal(greedy.Sequences[0].Logprobs, "logprobs come from the raw logits");
        }

        free.Sequences.Should().Contain(s => !s.Tokens.SequenceEqual(greedy.Sequences[0].Tokens));
    }

    [Fact]
    public async Task Long_batches_are_split_into_micro_batches_without_changing_results()
    {
        var id = Id("l:train:0");
        await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(4, 1, trainUnembed: false), Ct);
        var a = Enumerable.Range(0, 2600).Select(i => (i * 31) % 512).ToArray();
        var b = Enumerable.Range(0, 2300).Select(i => (i * 17) % 509).ToArray();
        var both = await Backend.ForwardAsync(id, BackendScope.CeBatch(a, b), Ct);
        var onlyA = await Backend.ForwardAsync(id, BackendScope.CeBatch(a), Ct);
        var onlyB = await Backend.ForwardAsync(id, BackendScope.CeBatch(b), Ct);
        both.LossFnOutputs[0]["logprobs"].Floats.Should().Equal(onlyA.LossFnOutputs[0]["logprobs"].Floats);
        both.LossFnOutputs[1]["logprobs"].Floats.Should().Equal(onlyB.LossFnOutputs[0]["logprobs"].Floats);
        both.Metrics["loss:sum"].Should().BeApproximately(onlyA.Metrics["loss:sum"] + onlyB.Metrics["loss:sum"], 1e-6);
        both.Metrics["num_tokens:sum"].Should().Be(a.Length + b.Length - 2);
    }

    [Fact]
    public async Task Default_max_tokens_is_16()
    {
        await Backend.CreateSamplerAsync("s", BackendScope.TinyName, null, Ct);
        var output = await Backend.SampleAsync("s", new SampleInput([1], 1, new SamplingParams(null, 0, []), false, 0), Ct);
        output.Sequences[0].Tokens.Should().HaveCount(Generation.DefaultMaxTokens);
    }

    [Fact]
    public async Task Client_errors_are_invalid_compute_requests()
    {
        var tied = () => Backend.CreateModelAsync(Id("x:train:0"), BackendScope.TinyName, LoraConfig.Create(8, 1, trainUnembed: true), Ct);
        await tied.Should().ThrowAsync<InvalidComputeRequestException>().WithMessage("*train_unembed*");
        var unknownBase = () => Backend.CreateModelAsync(Id("x:train:1"), "nope", LoraConfig.Create(8, 1), Ct);
        await unknownBase.Should().ThrowAsync<InvalidComputeRequestException>();

        var id = Id("x:train:2");
        await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(4, 1, trainUnembed: false), Ct);
        var badLoss = () => Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy) with { LossFn = "nope" }, Ct);
        await badLoss.Should().ThrowAsync<InvalidComputeRequestException>();
        var badKey = () => Backend.ForwardAsync(id, BackendScope.CeBatch(Toy) with { LossFnConfig = new Dictionary<string, double> { ["clip_low_threshold"] = 0.5 } }, Ct);
        await badKey.Should().ThrowAsync<InvalidComputeRequestException>();
        var badToken = () => Backend.ForwardAsync(id, BackendScope.CeBatch([1, 2, 512]), Ct);
        await badToken.Should().ThrowAsync<InvalidComputeRequestException>().WithMessage("*vocabulary*");
        var noAdvantages = () => Backend.ForwardAsync(id, BackendScope.CeBatch(Toy) with { LossFn = LossFunctions.Ppo }, Ct);
        await noAdvantages.Should().ThrowAsync<InvalidComputeRequestException>();
        var badAdam = () => Backend.OptimStepAsync(id, new AdamParams(Beta1: 1.5), Ct);
        await badAdam.Should().ThrowAsync<InvalidComputeRequestException>();
        var notLoaded = () => Backend.ForwardAsync(Id("x:train:404"), BackendScope.CeBatch(Toy), Ct);
        await notLoaded.Should().ThrowAsync<InvalidComputeRequestException>();

        await Backend.CreateSamplerAsync("s", BackendScope.TinyName, null, Ct);
        var tooLong = () => Backend.SampleAsync("s", new SampleInput(new int[4097], 1, new SamplingParams(1, 0, []), false, 0), Ct);
        await tooLong.Should().ThrowAsync<InvalidComputeRequestException>().WithMessage("*context*");
        var tooMany = () => Backend.SampleAsync("s", new SampleInput(new int[4000], 1, new SamplingParams(200, 0, []), false, 0), Ct);
        await tooMany.Should().ThrowAsync<InvalidComputeRequestException>();
        var outOfRange = () => Backend.SampleAsync("s", new SampleInput([600], 1, new SamplingParams(1, 0, []), false, 0), Ct);
        await outOfRange.Should().ThrowAsync<InvalidComputeRequestException>();
        var badArchive = () => Backend.CreateSamplerAsync("t", BackendScope.TinyName, new MemoryStream(Encoding.UTF8.GetBytes("not a tar")), Ct);
        await badArchive.Should().ThrowAsync<InvalidComputeRequestException>();
    }

    [Fact]
    public async Task Built_in_model_trains_with_train_unembed()
    {
        var id = Id("b:train:0");
        await Backend.CreateModelAsync(id, BuiltInModels.TinyName, LoraConfig.Create(4, 1), Ct);
        var batch = BackendScope.CeBatch([10, 151935, 3, 77, 1000, 5]);
        var first = (await Backend.ForwardBackwardAsync(id, batch, Ct)).Metrics["loss:sum"];
        await Backend.OptimStepAsync(id, new AdamParams(LearningRate: 1e-2), Ct);
        (await Backend.ForwardAsync(id, batch, Ct)).Metrics["loss:sum"].Should().BeLessThan(first);
        using var archive = new MemoryStream();
        await Backend.SaveSamplerCheckpointAsync(id, archive, Ct);
        using var cfg = JsonDocument.Parse(ReadTarGz(archive.ToArray())["adapter_config.json"]);
        cfg.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).Should().Contain("lm_head");
        await Backend.UnloadModelAsync(id, Ct);
        Backend.IsLoaded(id).Should().BeFalse();
        await Backend.UnloadModelAsync(id, Ct);
    }

    [Fact]
    public async Task Different_models_can_run_concurrently()
    {
        var ids = Enumerable.Range(0, 4).Select(i => Id($"c:train:{i}")).ToArray();
        foreach (var id in ids)
        {
            await Backend.CreateModelAsync(id, BackendScope.TinyName, LoraConfig.Create(4, 7, trainUnembed: false), Ct);
        }

        var results = await Task.WhenAll(ids.Select(id => Backend.ForwardBackwardAsync(id, BackendScope.CeBatch(Toy), Ct)));
        results.Select(r => r.Metrics["loss:sum"]).Distinct().Should().ContainSingle("same seed, same data, deterministic kernels");
    }

    internal static Dictionary<string, byte[]> ReadTarGz(byte[] archive)
    {
        var result = new Dictionary<string, byte[]>();
        using var gz = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
        using var reader = new TarReader(gz);
        while (reader.GetNextEntry() is { } e)
        {
            using var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            result[e.Name] = ms.ToArray();
        }

        return result;
    }
}
